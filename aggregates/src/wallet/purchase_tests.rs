//! Given/when/then rules of purchases: recorded before payment, credited once when paid the
//! recorded price, never for a session that was not recorded.

use cqrs_es::test::TestFramework;

use super::tests::credited;
use super::*;
use crate::money::MAX_MINOR;

type Wallets = TestFramework<Wallet>;

fn record() -> WalletCommand {
    WalletCommand::RecordPurchase {
        purchase_id: "purchase_1".into(),
        credits: 50_000,
        fiat: 500,
        checkout_session: "cs_1".into(),
    }
}

fn recorded() -> WalletEvent {
    WalletEvent::PurchaseRecorded {
        purchase_id: "purchase_1".into(),
        credits: 50_000,
        fiat: 500,
        checkout_session: "cs_1".into(),
    }
}

fn pay(paid: i64) -> WalletCommand {
    WalletCommand::CreditPurchase {
        entry_id: "t1".into(),
        checkout_session: "cs_1".into(),
        paid,
    }
}

fn bought(balance: i64) -> WalletEvent {
    WalletEvent::Credited {
        entry_id: "t1".into(),
        amount: 50_000,
        balance,
        description: "User bought 500.0 credits for $5.0.".into(),
        purchase: Some(Paid {
            purchase_id: Some("purchase_1".into()),
            checkout_session: "cs_1".into(),
            fiat: 500,
        }),
    }
}

#[tokio::test]
async fn a_purchase_is_recorded_once_with_positive_amounts() {
    Wallets::with(())
        .given_no_previous_events()
        .when_async(record())
        .await
        .then_expect_events(vec![recorded()]);
    Wallets::with(())
        .given(vec![recorded()])
        .when_async(record())
        .await
        .then_expect_events(vec![]);
    Wallets::with(())
        .given_no_previous_events()
        .when_async(WalletCommand::RecordPurchase {
            purchase_id: "purchase_2".into(),
            credits: 0,
            fiat: 500,
            checkout_session: "cs_2".into(),
        })
        .await
        .then_expect_error(WalletError::InvalidAmount);
}

#[tokio::test]
async fn a_recorded_purchase_paid_its_price_is_credited_once() {
    Wallets::with(())
        .given(vec![recorded()])
        .when_async(pay(500))
        .await
        .then_expect_events(vec![bought(50_000)]);
    Wallets::with(())
        .given(vec![recorded(), bought(50_000)])
        .when_async(pay(500))
        .await
        .then_expect_events(vec![]);
    Wallets::with(())
        .given(vec![recorded(), bought(50_000)])
        .when_async(record())
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn a_payment_of_another_amount_or_for_an_unrecorded_session_credits_nothing() {
    for paid in [499, 501] {
        Wallets::with(())
            .given(vec![recorded()])
            .when_async(pay(paid))
            .await
            .then_expect_error(WalletError::PaidAmountMismatch);
    }
    Wallets::with(())
        .given_no_previous_events()
        .when_async(pay(500))
        .await
        .then_expect_error(WalletError::UnknownPurchase);
}

#[tokio::test]
async fn a_purchase_that_would_pass_the_balance_bound_is_refused_not_wrapped() {
    let nearly_full = |room: i64| credited("t0", MAX_MINOR - room, MAX_MINOR - room, "seed");
    Wallets::with(())
        .given(vec![nearly_full(49_999), recorded()])
        .when_async(pay(500))
        .await
        .then_expect_error(WalletError::BalanceTooHigh);
    Wallets::with(())
        .given(vec![nearly_full(50_000), recorded()])
        .when_async(pay(500))
        .await
        .then_expect_events(vec![bought(MAX_MINOR)]);
}
