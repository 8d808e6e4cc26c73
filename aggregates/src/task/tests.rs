//! Given/when/then rules of the Task aggregate.

use cqrs_es::test::TestFramework;

use super::*;

type Tasks = TestFramework<Task>;

const LEASE: i64 = 60_000;

fn created() -> TaskEvent {
    TaskEvent::Created {
        user_id: "user_1".into(),
        price: 2_000,
        content: "Revenue grew 12% in 2024.".into(),
        attachments: vec![],
    }
}

fn started(attempt: u32, lease_until_ms: i64) -> TaskEvent {
    TaskEvent::Started {
        worker: "w1".into(),
        attempt,
        lease_until_ms,
    }
}

fn take(now_ms: i64) -> TaskCommand {
    TaskCommand::Take {
        worker: "w1".into(),
        now_ms,
        lease_ms: LEASE,
    }
}

fn analysis() -> Analysis {
    Analysis {
        analyzer: "builtin".into(),
        attachments: vec![],
        claims: vec![],
        summary: "Nothing to check.".into(),
    }
}

fn fail(attempt: u32) -> TaskCommand {
    TaskCommand::Fail {
        attempt,
        reason: "broken".into(),
    }
}

#[tokio::test]
async fn a_task_is_created_once() {
    let create = TaskCommand::Create {
        user_id: "user_1".into(),
        price: 2_000,
        content: "Revenue grew 12% in 2024.".into(),
        attachments: vec![],
    };
    Tasks::with(())
        .given_no_previous_events()
        .when_async(create.clone())
        .await
        .then_expect_events(vec![created()]);
    Tasks::with(())
        .given(vec![created()])
        .when_async(create)
        .await
        .then_expect_error(TaskError::AlreadyCreated);
}

#[tokio::test]
async fn a_waiting_task_is_taken_with_a_lease_and_an_unknown_one_is_not() {
    Tasks::with(())
        .given(vec![created()])
        .when_async(take(1_000))
        .await
        .then_expect_events(vec![started(1, 1_000 + LEASE)]);
    Tasks::with(())
        .given_no_previous_events()
        .when_async(take(1_000))
        .await
        .then_expect_error(TaskError::NotFound);
}

#[tokio::test]
async fn a_running_task_is_retaken_only_once_its_lease_has_run_out() {
    let history = vec![created(), started(1, 61_000)];
    Tasks::with(())
        .given(history.clone())
        .when_async(take(60_999))
        .await
        .then_expect_error(TaskError::LeaseHeld);
    Tasks::with(())
        .given(history)
        .when_async(take(61_000))
        .await
        .then_expect_events(vec![started(2, 61_000 + LEASE)]);
}

#[tokio::test]
async fn the_third_run_is_the_last_and_a_dead_third_worker_fails_the_task() {
    let mut history = vec![created(), started(1, 10), started(2, 20)];
    Tasks::with(())
        .given(history.clone())
        .when_async(take(20))
        .await
        .then_expect_events(vec![started(3, 20 + LEASE)]);
    history.push(started(3, 30));
    Tasks::with(())
        .given(history)
        .when_async(take(30))
        .await
        .then_expect_events(vec![TaskEvent::Failed {
            reason: "The agent stopped before finishing 3 times; the charge was refunded.".into(),
        }]);
}

#[tokio::test]
async fn only_the_current_run_renews_its_lease() {
    let history = vec![created(), started(1, 10), started(2, 70_000)];
    Tasks::with(())
        .given(history.clone())
        .when_async(TaskCommand::Renew {
            attempt: 2,
            now_ms: 50_000,
            lease_ms: LEASE,
        })
        .await
        .then_expect_events(vec![TaskEvent::LeaseRenewed {
            attempt: 2,
            lease_until_ms: 50_000 + LEASE,
        }]);
    Tasks::with(())
        .given(history)
        .when_async(TaskCommand::Renew {
            attempt: 1,
            now_ms: 50_000,
            lease_ms: LEASE,
        })
        .await
        .then_expect_error(TaskError::LeaseLost);
}

#[tokio::test]
async fn only_the_current_run_completes_or_fails_the_task() {
    let history = vec![created(), started(1, 10), started(2, 70_000)];
    Tasks::with(())
        .given(history.clone())
        .when_async(TaskCommand::Complete {
            attempt: 2,
            analysis: analysis(),
        })
        .await
        .then_expect_events(vec![TaskEvent::Completed {
            analysis: analysis(),
        }]);
    Tasks::with(())
        .given(history.clone())
        .when_async(TaskCommand::Complete {
            attempt: 1,
            analysis: analysis(),
        })
        .await
        .then_expect_error(TaskError::LeaseLost);
    Tasks::with(())
        .given(history)
        .when_async(fail(2))
        .await
        .then_expect_events(vec![TaskEvent::Failed {
            reason: "broken".into(),
        }]);
    Tasks::with(())
        .given(vec![created()])
        .when_async(fail(0))
        .await
        .then_expect_error(TaskError::LeaseLost);
}

#[tokio::test]
async fn an_ended_task_is_neither_taken_nor_ended_again() {
    let failed = vec![
        created(),
        started(1, 10),
        TaskEvent::Failed {
            reason: "broken".into(),
        },
    ];
    Tasks::with(())
        .given(failed.clone())
        .when_async(fail(1))
        .await
        .then_expect_error(TaskError::Ended);
    Tasks::with(())
        .given(failed)
        .when_async(take(1_000_000))
        .await
        .then_expect_error(TaskError::Ended);
    let completed = vec![
        created(),
        started(1, 10),
        TaskEvent::Completed {
            analysis: analysis(),
        },
    ];
    Tasks::with(())
        .given(completed)
        .when_async(fail(1))
        .await
        .then_expect_error(TaskError::Ended);
}
