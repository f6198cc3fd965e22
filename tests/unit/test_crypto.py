"""Field encryption without a database: the envelope, the keyring, the KEK and its settings."""

from __future__ import annotations

import base64
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.crypto import FieldUnreadable, KeyDestroyed, Keyring, KeyringError, KeySet
from hub.crypto import envelope as env
from hub.crypto.kek import LocalKeyEncryptionKey, UnwrapFailed, decode_secret, new_secret
from hub.crypto.store import KeyRow, unwrap_all, wrap_context
from hub.errors import SettingsError
from hub.settings import Settings

ROW = uuid.UUID("6f1c2b9e-2f55-4a43-9a3e-1d2c3b4a5f60")
CONTEXT = env.field_context("information_item", ROW, "content")


@pytest.fixture
def keyring() -> Keyring:
    return Keyring.generate(key_id=7)


def test_a_sealed_field_names_its_version_and_key_and_round_trips(keyring: Keyring) -> None:
    sealed = keyring.seal("Relapse indicators discussed with consent.", CONTEXT)
    assert sealed.startswith(env.MARKER)
    assert "Relapse" not in sealed
    assert env.key_id_of(sealed) == 7
    assert sealed.startswith(env.key_prefix(7))
    assert keyring.open(sealed, CONTEXT) == "Relapse indicators discussed with consent."


def test_every_seal_uses_a_fresh_nonce(keyring: Keyring) -> None:
    first, second = (keyring.seal("same text", CONTEXT) for _ in range(2))
    assert first != second
    assert env.cas_prefix(first) != env.cas_prefix(second)
    assert keyring.open(first, CONTEXT) == keyring.open(second, CONTEXT) == "same text"


@pytest.mark.parametrize(
    "elsewhere",
    [
        env.field_context("information_item", uuid.uuid4(), "content"),  # another row
        env.field_context("information_item", ROW, "title"),  # another column
        env.field_context("item_annotation", ROW, "content"),  # another table
    ],
)
def test_a_ciphertext_moved_elsewhere_does_not_decrypt(keyring: Keyring, elsewhere: bytes) -> None:
    sealed = keyring.seal("Named victim in the Victim Contact Scheme.", CONTEXT)
    with pytest.raises(FieldUnreadable, match="another row or column"):
        keyring.open(sealed, elsewhere)


def test_a_tampered_header_or_body_does_not_decrypt(keyring: Keyring) -> None:
    sealed = keyring.seal("Household check completed.", CONTEXT)
    raw = bytearray(base64.b64decode(sealed[len(env.MARKER) :]))
    raw[-1] ^= 1
    flipped_body = env.MARKER + base64.b64encode(bytes(raw)).decode()
    with pytest.raises(FieldUnreadable):
        keyring.open(flipped_body, CONTEXT)
    with pytest.raises(FieldUnreadable, match="truncated"):
        keyring.open(sealed[: len(env.MARKER) + 24], CONTEXT)
    with pytest.raises(FieldUnreadable, match="version"):
        env.key_id_of(env.MARKER + base64.b64encode(b"\x02\x00\x07").decode())
    with pytest.raises(FieldUnreadable, match="not an encrypted envelope"):
        env.key_id_of("plain text")


def test_a_field_under_a_key_the_keyring_lacks_is_refused_not_garbled() -> None:
    writer, reader = Keyring.generate(key_id=1), Keyring.generate(key_id=2)
    sealed = writer.seal("Attending appointments.", CONTEXT)
    with pytest.raises(FieldUnreadable, match="data key 1, which is not in the keyring"):
        reader.open(sealed, CONTEXT)
    impostor = Keyring.generate(key_id=1)  # same id, different key: authentication fails
    with pytest.raises(FieldUnreadable, match="authentication failed"):
        impostor.open(sealed, CONTEXT)


def test_a_field_under_a_destroyed_key_says_so() -> None:
    old = Keyring.generate(key_id=1)
    sealed = old.seal("Intelligence graded B2.", CONTEXT)
    shredded = Keyring(KeySet({2: AESGCM(new_secret())}, 2, new_secret(), frozenset({1})))
    with pytest.raises(KeyDestroyed, match="destroyed"):
        shredded.open(sealed, CONTEXT)


def test_blind_index_matches_equal_values_only_under_the_same_key(keyring: Keyring) -> None:
    digest = keyring.blind_index("NHS_NUMBER", "9990001112")
    assert digest == keyring.blind_index("NHS_NUMBER", "9990001112")
    assert len(digest) == 32
    assert digest != keyring.blind_index("NI_NUMBER", "9990001112")
    assert digest != keyring.blind_index("NHS_NUMBER", "9990001113")
    assert digest != Keyring.generate().blind_index("NHS_NUMBER", "9990001112")


def test_sealed_length_bounds_the_stored_form(keyring: Keyring) -> None:
    for text in ("", "a" * 64, "\U0001f600" * 64, "é" * 200):
        assert len(keyring.seal(text, CONTEXT)) <= env.sealed_length(len(text))


def test_keys_wrap_under_their_context_and_a_wrong_kek_is_detected() -> None:
    kek = LocalKeyEncryptionKey(new_secret(), "test")
    data_key = new_secret()
    wrapped = kek.wrap(data_key, wrap_context(1, "FIELD"))
    assert kek.unwrap(wrapped, wrap_context(1, "FIELD")) == data_key
    with pytest.raises(UnwrapFailed):
        kek.unwrap(wrapped, wrap_context(2, "FIELD"))  # moved to another key row
    with pytest.raises(UnwrapFailed):
        LocalKeyEncryptionKey(new_secret(), "other").unwrap(wrapped, wrap_context(1, "FIELD"))


def _rows(kek: LocalKeyEncryptionKey) -> list[KeyRow]:
    return [
        KeyRow(1, "FIELD", "RETIRED", kek.wrap(new_secret(), wrap_context(1, "FIELD")), kek.kek_id),
        KeyRow(2, "BLIND_INDEX", "ACTIVE", kek.wrap(new_secret(), wrap_context(2, "BLIND_INDEX")),
               kek.kek_id),
        KeyRow(3, "FIELD", "ACTIVE", kek.wrap(new_secret(), wrap_context(3, "FIELD")), kek.kek_id),
        KeyRow(4, "FIELD", "DESTROYED", None, kek.kek_id),
    ]  # fmt: skip


def test_unwrapping_the_key_table_gives_one_active_key_and_knows_destroyed_ones() -> None:
    kek = LocalKeyEncryptionKey(new_secret(), "test")
    keys = unwrap_all(_rows(kek), kek)
    assert keys.active_id == 3
    assert sorted(keys.field_keys) == [1, 3]
    assert keys.destroyed == frozenset({4})


def test_the_wrong_kek_is_named_as_such_never_garbage() -> None:
    kek = LocalKeyEncryptionKey(new_secret(), "/srv/keys/key-encryption.key")
    wrong = LocalKeyEncryptionKey(new_secret(), "/tmp/other.key")
    with pytest.raises(KeyringError, match=r"wrong key-encryption key.*/tmp/other\.key"):
        unwrap_all(_rows(kek), wrong)
    rows = _rows(kek)
    rows[0], rows[2] = (
        KeyRow(1, "FIELD", "RETIRED", rows[2].wrapped_key, kek.kek_id),
        KeyRow(3, "FIELD", "ACTIVE", rows[0].wrapped_key, kek.kek_id),
    )  # wrapped keys swapped between rows
    with pytest.raises(KeyringError, match="data key 1 does not unwrap"):
        unwrap_all(rows, kek)
    with pytest.raises(KeyringError, match="hub keys init"):
        unwrap_all([], kek)


class _Source:
    """A key table that changes under the keyring, as when another process rotates."""

    def __init__(self, keys: KeySet) -> None:
        self.keys = keys
        self.loads = 0

    def load(self) -> KeySet:
        self.loads += 1
        return self.keys


def test_the_keyring_follows_a_rotation_made_elsewhere() -> None:
    first = Keyring.generate(key_id=1).key_set
    source = _Source(first)
    keyring = Keyring(source=source, refresh_seconds=3600)
    keyring.load()
    other = Keyring.generate(key_id=2).key_set
    source.keys = KeySet({**first.field_keys, **other.field_keys}, 2, first.blind_key)
    rotated = Keyring(source.keys).seal("written by a newer process", CONTEXT)
    # An unknown key id makes it reload at once rather than fail.
    assert keyring.open(rotated, CONTEXT) == "written by a newer process"
    assert keyring.active_key_id == 2
    assert source.loads == 2


def test_settings_read_the_kek_from_a_variable_without_ever_echoing_it(tmp_path: object) -> None:
    secret = new_secret()
    encoded = base64.b64encode(secret).decode()
    settings = Settings.from_env({"HUB_KEY_ENCRYPTION_KEY": encoded})
    assert settings.key_encryption_key == secret
    assert encoded not in repr(settings)
    urlsafe = base64.urlsafe_b64encode(secret).decode()
    assert decode_secret(urlsafe) == secret
    assert Settings().kek_path.name == "key-encryption.key"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"HUB_KEY_ENCRYPTION_KEY": "c2hvcnQ="}, "must decode to 32 bytes; got 5"),
        ({"HUB_KEY_ENCRYPTION_KEY": "not base64 at all!"}, "must be base64"),
        (
            {"HUB_KEY_ENCRYPTION_KEY": base64.b64encode(bytes(32)).decode(),
             "HUB_KEY_ENCRYPTION_KEY_FILE": "/srv/kek"},
            "both set",
        ),
        ({"HUB_KEY_REFRESH_SECONDS": "0"}, "between 1 and 3600"),
    ],
)  # fmt: skip
def test_a_bad_key_setting_names_its_variable(environ: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError, match=message) as caught:
        Settings.from_env(environ)
    assert caught.value.variable in environ
    assert "not base64 at all" not in str(caught.value)
