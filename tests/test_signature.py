from bot.web.signature import sign, verify


def test_githubs_published_vector() -> None:
    # GitHub docs, "Validating webhook deliveries".
    expected = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"
    assert sign("It's a Secret to Everybody", b"Hello, World!") == expected
    assert verify("It's a Secret to Everybody", b"Hello, World!", expected)


def test_rejects_other_bytes_sha1_and_missing() -> None:
    good = sign("s", b'{"a": 1}')
    assert not verify("s", b'{"a":1}', good)
    assert not verify("s", b'{"a": 1}', None)
    assert not verify("s", b'{"a": 1}', "sha1=" + good.removeprefix("sha256="))
    assert not verify("other", b'{"a": 1}', good)
