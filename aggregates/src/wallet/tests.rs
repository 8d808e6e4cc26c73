//! Given/when/then rules of the Wallet aggregate.

use super::*;
use crate::money::MAX_MINOR;
use cqrs_es::test::TestFramework;

type Wallets = TestFramework<Wallet>;

pub(super) fn credited(entry: &str, amount: i64, balance: i64, description: &str) -> WalletEvent {
    WalletEvent::Credited {
        entry_id: entry.into(),
        amount,
        balance,
        description: description.into(),
        purchase: None,
    }
}

fn ten() -> Vec<WalletEvent> {
    vec![credited("t0", 1_000, 1_000, "seed")]
}

fn debit(amount: i64) -> WalletCommand {
    WalletCommand::Debit {
        entry_id: "t1".into(),
        amount,
        description: "spent".into(),
    }
}

#[tokio::test]
async fn a_debit_down_to_zero_is_allowed_and_one_beyond_is_refused() {
    Wallets::with(())
        .given(ten())
        .when_async(debit(1_000))
        .await
        .then_expect_events(vec![WalletEvent::Debited {
            entry_id: "t1".into(),
            amount: 1_000,
            balance: 0,
            description: "spent".into(),
        }]);
    Wallets::with(())
        .given(ten())
        .when_async(debit(1_001))
        .await
        .then_expect_error(WalletError::InsufficientCredits);
}

#[tokio::test]
async fn amounts_must_be_positive() {
    Wallets::with(())
        .given(ten())
        .when_async(debit(0))
        .await
        .then_expect_error(WalletError::InvalidAmount);
    Wallets::with(())
        .given(ten())
        .when_async(WalletCommand::Credit {
            entry_id: "t1".into(),
            amount: -5,
            description: "x".into(),
        })
        .await
        .then_expect_error(WalletError::InvalidAmount);
}

fn charge(amount: i64) -> WalletCommand {
    WalletCommand::ChargeTask {
        task_id: "task_1".into(),
        entry_id: "t1".into(),
        amount,
    }
}

#[tokio::test]
async fn an_analysis_is_charged_down_to_zero_and_refused_one_beyond() {
    Wallets::with(())
        .given(ten())
        .when_async(charge(1_000))
        .await
        .then_expect_events(vec![WalletEvent::TaskCharged {
            task_id: "task_1".into(),
            entry_id: "t1".into(),
            amount: 1_000,
            balance: 0,
            description: "Agent analysis task_1 charged 10.0 credits.".into(),
        }]);
    Wallets::with(())
        .given(ten())
        .when_async(charge(1_001))
        .await
        .then_expect_error(WalletError::InsufficientCredits);
    Wallets::with(())
        .given(ten())
        .when_async(charge(0))
        .await
        .then_expect_error(WalletError::InvalidAmount);
}

#[tokio::test]
async fn a_refund_gives_back_the_charge_even_past_the_balance_cap() {
    let full = vec![credited("t0", MAX_MINOR, MAX_MINOR, "seed")];
    Wallets::with(())
        .given(full)
        .when_async(WalletCommand::RefundTask {
            task_id: "task_1".into(),
            entry_id: "t2".into(),
            amount: 2_000,
        })
        .await
        .then_expect_events(vec![WalletEvent::TaskRefunded {
            task_id: "task_1".into(),
            entry_id: "t2".into(),
            amount: 2_000,
            balance: MAX_MINOR + 2_000,
            description: "Agent analysis task_1 refunded.".into(),
        }]);
    Wallets::with(())
        .given(ten())
        .when_async(WalletCommand::RefundTask {
            task_id: "task_1".into(),
            entry_id: "t2".into(),
            amount: 0,
        })
        .await
        .then_expect_error(WalletError::InvalidAmount);
}

#[tokio::test]
async fn the_operator_sets_the_balance_through_a_described_credit_or_debit() {
    let set = |balance| WalletCommand::SetBalance {
        entry_id: "t1".into(),
        balance,
    };
    Wallets::with(())
        .given_no_previous_events()
        .when_async(set(1_000))
        .await
        .then_expect_events(vec![credited(
            "t1",
            1_000,
            1_000,
            "Admin updated credits from 0.0 to 10.0.",
        )]);
    Wallets::with(())
        .given(ten())
        .when_async(set(250))
        .await
        .then_expect_events(vec![WalletEvent::Debited {
            entry_id: "t1".into(),
            amount: 750,
            balance: 250,
            description: "Admin updated credits from 10.0 to 2.5.".into(),
        }]);
    Wallets::with(())
        .given(ten())
        .when_async(set(1_000))
        .await
        .then_expect_events(vec![]);
    Wallets::with(())
        .given(ten())
        .when_async(set(-1))
        .await
        .then_expect_error(WalletError::InvalidAmount);
}

#[tokio::test]
async fn the_first_stripe_customer_linked_stays() {
    let link = |id: &str| WalletCommand::LinkStripeCustomer {
        customer_id: id.into(),
    };
    Wallets::with(())
        .given_no_previous_events()
        .when_async(link("cus_1"))
        .await
        .then_expect_events(vec![WalletEvent::StripeCustomerLinked {
            customer_id: "cus_1".into(),
        }]);
    Wallets::with(())
        .given(vec![WalletEvent::StripeCustomerLinked {
            customer_id: "cus_1".into(),
        }])
        .when_async(link("cus_2"))
        .await
        .then_expect_events(vec![]);
}

#[tokio::test]
async fn no_amount_or_balance_passes_a_trillion_credits() {
    let set = |balance: i64| WalletCommand::SetBalance {
        entry_id: "t1".into(),
        balance,
    };
    Wallets::with(())
        .given_no_previous_events()
        .when_async(set(MAX_MINOR + 1))
        .await
        .then_expect_error(WalletError::InvalidAmount);
    Wallets::with(())
        .given_no_previous_events()
        .when_async(set(MAX_MINOR))
        .await
        .then_expect_events(vec![credited(
            "t1",
            MAX_MINOR,
            MAX_MINOR,
            "Admin updated credits from 0.0 to 1000000000000.0.",
        )]);
    Wallets::with(())
        .given(ten())
        .when_async(debit(i64::MAX))
        .await
        .then_expect_error(WalletError::InvalidAmount);
}
