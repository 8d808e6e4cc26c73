//! Given/when/then rules of the EmailClaim aggregate.

use super::*;
use cqrs_es::test::TestFramework;
use cqrs_es::Aggregate;

type Claims = TestFramework<EmailClaim>;

const T0: i64 = 1_700_000_000_000;

fn claim(user_id: &str, owner_abandoned: bool, now_ms: i64) -> EmailClaimCommand {
    EmailClaimCommand::Claim {
        user_id: user_id.into(),
        owner_abandoned,
        now_ms,
    }
}

fn claimed(user_id: &str, at_ms: i64) -> EmailClaimEvent {
    EmailClaimEvent::Claimed {
        user_id: user_id.into(),
        at_ms,
    }
}

#[tokio::test]
async fn a_free_address_is_claimed() {
    Claims::with(())
        .given_no_previous_events()
        .when_async(claim("user_a", false, T0))
        .await
        .then_expect_events(vec![claimed("user_a", T0)]);
}

#[tokio::test]
async fn an_address_owned_by_a_registered_user_is_refused_however_old_the_claim() {
    Claims::with(())
        .given(vec![claimed("user_a", T0)])
        .when_async(claim("user_b", false, T0 + 10 * STALE_CLAIM_AFTER_MS))
        .await
        .then_expect_error(EmailClaimError::AlreadyClaimed);
}

#[tokio::test]
async fn a_claim_whose_registration_is_still_in_flight_is_refused() {
    Claims::with(())
        .given(vec![claimed("user_a", T0)])
        .when_async(claim("user_b", true, T0 + STALE_CLAIM_AFTER_MS - 1))
        .await
        .then_expect_error(EmailClaimError::AlreadyClaimed);
}

#[tokio::test]
async fn an_abandoned_claim_whose_user_never_registered_is_taken_over() {
    let now = T0 + STALE_CLAIM_AFTER_MS;
    Claims::with(())
        .given(vec![claimed("user_a", T0)])
        .when_async(claim("user_b", true, now))
        .await
        .then_expect_events(vec![claimed("user_b", now)]);
}

#[tokio::test]
async fn a_stale_claim_is_kept_unless_its_owner_was_abandoned() {
    Claims::with(())
        .given(vec![claimed("user_a", T0)])
        .when_async(claim("user_b", false, T0 + STALE_CLAIM_AFTER_MS))
        .await
        .then_expect_error(EmailClaimError::AlreadyClaimed);
}

#[test]
fn a_claim_turns_stale_a_minute_after_it_was_made() {
    let mut claim = EmailClaim::default();
    claim.apply(claimed("user_a", T0));
    assert!(!claim.is_stale(T0 + STALE_CLAIM_AFTER_MS - 1));
    assert!(claim.is_stale(T0 + STALE_CLAIM_AFTER_MS));
}

fn released(user_id: &str) -> EmailClaimEvent {
    EmailClaimEvent::Released {
        user_id: user_id.into(),
    }
}

#[tokio::test]
async fn a_deleted_owners_address_is_released_and_claimed_afresh() {
    Claims::with(())
        .given(vec![claimed("user_a", T0)])
        .when_async(EmailClaimCommand::Release {
            user_id: "user_a".into(),
        })
        .await
        .then_expect_events(vec![released("user_a")]);
    Claims::with(())
        .given(vec![claimed("user_a", T0), released("user_a")])
        .when_async(claim("user_b", false, T0 + 1))
        .await
        .then_expect_events(vec![claimed("user_b", T0 + 1)]);
}

#[tokio::test]
async fn only_the_current_owner_releases_an_address() {
    Claims::with(())
        .given(vec![claimed("user_b", T0)])
        .when_async(EmailClaimCommand::Release {
            user_id: "user_a".into(),
        })
        .await
        .then_expect_events(vec![]);
    Claims::with(())
        .given_no_previous_events()
        .when_async(EmailClaimCommand::Release {
            user_id: "user_a".into(),
        })
        .await
        .then_expect_events(vec![]);
}
