import pytest

from bot.config import SettingsError, load_settings


def test_defaults_and_missing_settings() -> None:
    settings = load_settings({})
    assert settings.port == 3000 and not settings.configured
    assert settings.missing == ["APP_ID", "PRIVATE_KEY or PRIVATE_KEY_PATH", "WEBHOOK_SECRET"]


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"PRIVATE_KEY": "not a key"}, "PRIVATE_KEY is not a readable PEM"),
        ({"PRIVATE_KEY_PATH": "/nonexistent/key.pem"}, "cannot read the key file"),
        ({"PORT": "eighty"}, "PORT='eighty' is not a whole number"),
        ({"APP_ID": "my app"}, "APP_ID"),
        ({"GITHUB_API_URL": "ftp://x"}, "GITHUB_API_URL"),
        ({"PRWARDEN_FAIL_ON": "loud"}, "unknown severity"),
    ],
)
def test_malformed_settings_are_clear_errors(env: dict[str, str], needle: str) -> None:
    with pytest.raises(SettingsError, match=needle):
        load_settings(env)
