"""The retry policy is pure: every GitHub failure shape maps to a decision without a server."""

from bot.github.retry import RetryPolicy, decide

POLICY = RetryPolicy(max_attempts=4, base_delay=1.0, max_backoff=8.0)
NOW = 1_700_000_000.0


def test_server_errors_and_no_response_are_retried_with_growing_backoff() -> None:
    first = decide(1, status=502, now=NOW, policy=POLICY)
    third = decide(3, status=None, now=NOW, policy=POLICY)
    assert first.retry and 0.5 <= first.delay <= 1.0
    assert third.retry and 2.0 <= third.delay <= 4.0


def test_gives_up_after_max_attempts() -> None:
    assert not decide(4, status=503, now=NOW, policy=POLICY).retry


def test_client_errors_are_answers_not_faults() -> None:
    for status in (400, 404, 422):
        assert not decide(1, status=status, now=NOW, policy=POLICY).retry


def test_plain_403_is_not_a_rate_limit() -> None:
    verdict = decide(1, status=403, message="Resource not accessible by integration", now=NOW, policy=POLICY)
    assert not verdict.retry


def test_retry_after_is_honoured() -> None:
    verdict = decide(1, status=403, headers={"Retry-After": "7"}, message="secondary rate limit", now=NOW, policy=POLICY)
    assert verdict.retry and verdict.delay == 7


def test_primary_limit_waits_until_reset() -> None:
    headers = {"x-ratelimit-remaining": "0", "x-ratelimit-reset": str(int(NOW + 120))}
    verdict = decide(1, status=429, headers=headers, now=NOW, policy=POLICY)
    assert verdict.retry and 120 <= verdict.delay <= 122


def test_secondary_limit_without_headers_waits_at_least_a_minute() -> None:
    message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
    verdict = decide(1, status=403, headers={"x-ratelimit-remaining": "4000"}, message=message, now=NOW, policy=POLICY)
    assert verdict.retry and verdict.delay >= 60
    again = decide(2, status=403, headers={"x-ratelimit-remaining": "4000"}, message=message, now=NOW, policy=POLICY)
    assert again.delay > verdict.delay
