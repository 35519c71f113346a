import re

from argusai.web.signature import sign, verify
from tests.conftest import shared_path

# GitHub Docs, "Validating webhook deliveries" (also in ../shared/fixtures/webhooks/)
SECRET = "It's a Secret to Everybody"
PAYLOAD = b"Hello, World!"
HEADER = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"


def test_github_test_vector() -> None:
    assert sign(SECRET, PAYLOAD) == HEADER
    assert verify(SECRET, PAYLOAD, HEADER)


def test_vector_from_shared_file_matches() -> None:
    text = shared_path("fixtures", "webhooks", "SIGNATURE_TEST_VECTOR.md").read_text()
    header = re.search(r"`(sha256=[0-9a-f]{64})`", text)
    assert header is not None
    assert verify(SECRET, PAYLOAD, header.group(1))


def test_rejects_tampered_body_wrong_secret_and_malformed_headers() -> None:
    assert not verify(SECRET, PAYLOAD + b" ", HEADER)
    assert not verify("other secret", PAYLOAD, HEADER)
    for bad in (
        None,
        "",
        "sha256=",
        "sha1=01dc10d0c83e72ed246219cdd91669667fe2ca59",
        HEADER.upper(),
        HEADER[:-1],
        "sha256=ünïcode",
        HEADER + "00",
    ):
        assert not verify(SECRET, PAYLOAD, bad)
