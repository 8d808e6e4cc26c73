//! The projector: views carry their log position, catch up after a lost update or a restart,
//! rebuild identically, and never skip an event that commits late.

use std::time::Duration;

use axum::http::StatusCode;
use clara::commands::Meta;
use clara_aggregates::UserCommand;
use futures::future::join_all;

use crate::support::{Backend, TestApp};

crate::on_both_backends!(
    a_lost_view_update_is_caught_up_by_the_projector_and_at_restart,
    views_and_checkpoint_carry_the_log_position,
    a_rebuild_reproduces_the_live_views_exactly,
    concurrent_writes_while_projecting_lose_nothing,
    positions_become_visible_in_commit_order,
    two_projectors_racing_fold_each_event_once,
    a_command_far_ahead_of_the_views_leaves_the_fold_to_the_projector,
);

/// Commits a registration and then takes its view update back, as a crash between the commit
/// and the view update would leave it: the checkpoint where it stood, no row past it.
async fn commit_without_projection(app: &TestApp, id: &str, email: &str) {
    let command = UserCommand::Register {
        email: email.into(),
        first_name: "grace".into(),
        last_name: "hopper".into(),
        password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".into(),
        session: clara_aggregates::NewSession {
            session_id: format!("session_of_{id}"),
            expires_at_ms: i64::MAX,
        },
        activation: clara_aggregates::NewOtp {
            otp_id: format!("otp_of_{id}"),
            code_mac: "mac".into(),
            issued_at_ms: 0,
            expires_at_ms: i64::MAX,
        },
        api_key_id: format!("api_key_of_{id}"),
    };
    let before = app.state.projector.position().await.unwrap();
    app.state
        .users
        .execute_once(id, command, &Meta::default())
        .await
        .unwrap();
    clara::with_pool!(app.db(), pool => {
        for table in clara_projections::ViewSet::TABLES {
            let sql = format!("DELETE FROM {table} WHERE position > $1");
            sqlx::query(&sql).bind(before).execute(pool).await.unwrap();
        }
        let sql = "UPDATE projector_checkpoints SET position = $1 WHERE name = 'views'";
        sqlx::query(sql).bind(before).execute(pool).await.unwrap();
    });
}

async fn max_position(app: &TestApp) -> i64 {
    clara::with_pool!(app.db(), pool => sqlx::query_scalar("SELECT COALESCE(MAX(position), 0) FROM events").fetch_one(pool).await.unwrap())
}

async fn view_rows(app: &TestApp) -> Vec<(String, i64, String)> {
    clara::with_pool!(app.db(), pool => sqlx::query_as("SELECT id, position, data FROM user_views ORDER BY id").fetch_all(pool).await.unwrap())
}

async fn a_lost_view_update_is_caught_up_by_the_projector_and_at_restart(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = format!("user_{}", "1".repeat(32));
    commit_without_projection(&app, &first, "grace@example.com").await;
    let lost = app.user_view(&first).await;
    assert_eq!(
        lost.status,
        StatusCode::NOT_FOUND,
        "the view update was skipped"
    );

    let report = app.state.projector.catch_up().await.unwrap();
    assert_eq!(
        report.events, 4,
        "the registration, its session, activation code and API key"
    );
    let caught_up = app.user_view(&first).await;
    assert_eq!(caught_up.status, StatusCode::OK);
    assert_eq!(caught_up.json["data"]["first_name"], "Grace");

    let second = format!("user_{}", "2".repeat(32));
    commit_without_projection(&app, &second, "hopper@example.com").await;
    let restarted = TestApp::open(&app.database_url).await;
    let reply = restarted.user_view(&second).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "a new process catches up at start-up"
    );
    assert_eq!(
        restarted.state.projector.position().await.unwrap(),
        max_position(&app).await
    );
}

async fn views_and_checkpoint_carry_the_log_position(backend: Backend) {
    let app = TestApp::new(backend).await;
    for n in 0..3 {
        app.register(&format!("u{n}@example.com")).await;
    }
    let top = max_position(&app).await;
    assert_eq!(app.state.projector.position().await.unwrap(), top);
    let rows = view_rows(&app).await;
    assert_eq!(rows.len(), 3);
    for (id, position, _) in &rows {
        // Of a registration's events, only the first changes the user object.
        let own: i64 = clara::with_pool!(app.db(), pool => {
            let sql = "SELECT position FROM events WHERE aggregate_id = $1 AND event_type = 'Registered'";
            sqlx::query_scalar(sql).bind(id).fetch_one(pool).await.unwrap()
        });
        assert_eq!(
            *position, own,
            "a view reflects the last event that changed it"
        );
    }
}

async fn a_rebuild_reproduces_the_live_views_exactly(backend: Backend) {
    let app = TestApp::new(backend).await;
    for n in 0..3 {
        app.register(&format!("u{n}@example.com")).await;
    }
    let live = view_rows(&app).await;
    clara::with_pool!(app.db(), pool => {
        sqlx::query("DELETE FROM user_views WHERE id = (SELECT MIN(id) FROM user_views)").execute(pool).await.unwrap();
        sqlx::query("UPDATE user_views SET data = '{}'").execute(pool).await.unwrap();
    });
    let report = app.state.projector.rebuild(&|_| {}).await.unwrap();
    assert_eq!(report.events as i64, app.count_events(None).await);
    assert_eq!(view_rows(&app).await, live);
}

async fn concurrent_writes_while_projecting_lose_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let projector = app.state.projector.clone();
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let spinner = {
        let done = done.clone();
        tokio::spawn(async move {
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                projector.catch_up().await.unwrap();
            }
        })
    };
    let writers = (0..16).map(|n| {
        let client = app.client.clone();
        tokio::spawn(async move { client.register(&format!("w{n}@example.com")).await.status })
    });
    for status in join_all(writers).await {
        assert_eq!(status.unwrap(), StatusCode::CREATED);
    }
    done.store(true, std::sync::atomic::Ordering::SeqCst);
    spinner.await.unwrap();
    app.state.projector.catch_up().await.unwrap();
    assert_eq!(view_rows(&app).await.len(), 16);
    assert_eq!(
        app.state.projector.position().await.unwrap(),
        max_position(&app).await
    );
}

async fn positions_become_visible_in_commit_order(backend: Backend) {
    let app = TestApp::new(backend).await;
    let insert = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
                  VALUES ('Probe', $1, 1, 'Probed', '1', '{}', '{}')";
    let position_of = "SELECT position FROM events WHERE aggregate_id = $1";
    clara::with_pool!(app.db(), pool => {
        let mut first = pool.begin().await.unwrap();
        sqlx::query(insert).bind("first").execute(&mut *first).await.unwrap();
        let second = {
            let pool = pool.clone();
            tokio::spawn(async move { sqlx::query(insert).bind("second").execute(&pool).await.unwrap() })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!second.is_finished(), "a later append waits for the earlier one to commit");
        first.commit().await.unwrap();
        second.await.unwrap();
        let a: i64 = sqlx::query_scalar(position_of).bind("first").fetch_one(pool).await.unwrap();
        let b: i64 = sqlx::query_scalar(position_of).bind("second").fetch_one(pool).await.unwrap();
        assert!(a < b, "first committed first, so it holds the lower position ({a} vs {b})");
    });
}

async fn two_projectors_racing_fold_each_event_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    for n in 0..40 {
        let id = format!("user_{n:032}");
        commit_without_projection(&app, &id, &format!("r{n}@example.com")).await;
    }
    // Two processes' projectors over one database.
    let keyring = app.state.secrets.keyring();
    let first = clara::storage::Projector::new(app.db().clone(), keyring.clone());
    let second = clara::storage::Projector::new(app.db().clone(), keyring);
    let (a, b) = tokio::join!(first.catch_up(), second.catch_up());
    let folded = a.unwrap().events + b.unwrap().events;
    assert_eq!(
        folded as i64,
        app.count_events(None).await,
        "each event folded exactly once"
    );
    assert_eq!(view_rows(&app).await.len(), 40);
    assert_eq!(first.position().await.unwrap(), max_position(&app).await);
}

/// A command folds the events the views lack in its own transaction only up to one projector
/// batch; past that, its events commit alone and the projector catches up before it answers.
async fn a_command_far_ahead_of_the_views_leaves_the_fold_to_the_projector(backend: Backend) {
    let app = TestApp::new(backend).await;
    let backlog = clara::storage::fold::BATCH + 100;
    let insert = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, event_version, payload, metadata) \
         VALUES ('Probe', $1, 1, 'Probed', '1', '{}', '{}')";
    clara::with_pool!(app.db(), pool => {
        let mut tx = pool.begin().await.unwrap();
        for n in 0..backlog {
            sqlx::query(insert).bind(format!("probe_{n}")).execute(&mut *tx).await.unwrap();
        }
        tx.commit().await.unwrap();
    });
    let registered = app.register("far@example.com").await;
    assert_eq!(registered.status, StatusCode::CREATED);
    let id = crate::support::id_of(&registered);
    let view = app.user_view(&id).await;
    assert_eq!(
        view.status,
        StatusCode::OK,
        "the caller reads its own write"
    );
    assert_eq!(
        app.state.projector.position().await.unwrap(),
        max_position(&app).await
    );
}
