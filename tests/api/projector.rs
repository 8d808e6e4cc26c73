//! The projector: views carry their log position, fold what a writer left at once or at a
//! restart, rebuild identically; no reader of the log skips an event that commits late, and
//! commits that change one view lose neither change.

use std::time::Duration;

use axum::http::{Method, StatusCode};
use clara::commands::Meta;
use clara_aggregates::UserCommand;
use futures::future::join_all;

use crate::support::{Backend, TestApp};

crate::on_both_backends!(
    a_lost_view_update_is_caught_up_by_the_projector_and_at_restart,
    views_carry_the_log_position_and_commands_leave_nothing_to_fold,
    a_rebuild_reproduces_the_live_views_exactly,
    concurrent_writes_while_projecting_lose_nothing,
    no_reader_passes_an_event_that_commits_late,
    two_projectors_racing_fold_each_event_once,
    a_backlog_left_by_others_does_not_hold_up_a_command,
    commits_on_two_aggregates_of_one_view_lose_neither_change,
);

/// Commits a registration and then takes its view update back, as a writer that did not fold
/// its events would leave it (an older release that crashed between commit and fold).
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
    let before = max_position(app).await;
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
        let sql = "UPDATE events SET folded = FALSE WHERE position > $1";
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
        restarted.state.projector.position().await.unwrap().position,
        max_position(&app).await
    );
}

async fn views_carry_the_log_position_and_commands_leave_nothing_to_fold(backend: Backend) {
    let app = TestApp::new(backend).await;
    for n in 0..3 {
        app.register(&format!("u{n}@example.com")).await;
    }
    assert_eq!(lag(&app).await, 0);
    assert_eq!(app.state.projector.catch_up().await.unwrap().events, 0);
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
    assert_eq!(lag(&app).await, 0);
    app.assert_views_match_log().await;
}

const PROBE: &str = "INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, \
    event_version, payload, metadata) VALUES ('Probe', $1, 1, 'Probed', '1', '{}', '{}')";

/// The probes the export lists after `after`, by aggregate id, and the last position read.
async fn exported_probes(app: &TestApp, after: i64) -> (Vec<String>, i64) {
    let auth = app.private_key();
    let path = format!("/api/v1/events?after={after}&limit=100000");
    let reply = app.send(Method::GET, &path, Some(&auth), None).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text);
    let mut last = after;
    let mut probes = Vec::new();
    for line in reply.text.lines() {
        let event: serde_json::Value = serde_json::from_str(line).unwrap();
        last = event["position"].as_i64().unwrap();
        if event["aggregate"] == "Probe" {
            probes.push(event["aggregate_id"].as_str().unwrap().to_string());
        }
    }
    (probes, last)
}

/// An append that drew the lower position commits after a later one: the export (resumed
/// from the last position read) and the projector each still get both, once. On PostgreSQL
/// the later append does not wait for the earlier one.
async fn no_reader_passes_an_event_that_commits_late(backend: Backend) {
    // Readers wait for every transaction of the server that began before a late event's:
    // the open one here would stall the other tests' readers on a shared server.
    let cluster = (backend == Backend::Postgres)
        .then(|| crate::cluster::Cluster::start().expect("a private PostgreSQL cluster"));
    let app = match &cluster {
        Some(cluster) => TestApp::open(&cluster.url()).await,
        None => TestApp::new(backend).await,
    };
    app.register("before@example.com").await;
    clara::with_pool!(app.db(), pool => {
        let mut first = pool.begin().await.unwrap();
        sqlx::query(PROBE).bind("first").execute(&mut *first).await.unwrap();
        let second = {
            let pool = pool.clone();
            tokio::spawn(async move { sqlx::query(PROBE).bind("second").execute(&pool).await.unwrap() })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        if backend == Backend::Postgres {
            assert!(second.is_finished(), "appends commit side by side");
        }
        let (early, last) = exported_probes(&app, 0).await;
        let folded_early = app.state.projector.catch_up().await.unwrap().events;
        first.commit().await.unwrap();
        second.await.unwrap();
        let (late, _) = exported_probes(&app, last).await;
        let mut all = [early, late].concat();
        all.sort();
        assert_eq!(all, ["first", "second"], "each probe exported once");
        let folded_late = app.state.projector.catch_up().await.unwrap().events;
        assert_eq!(folded_early + folded_late, 2, "each probe folded once");
    });
    assert_eq!(lag(&app).await, 0);
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
    assert_eq!(
        first.position().await.unwrap().position,
        max_position(&app).await
    );
}

/// Events left to fold (here written by hand) are the projector's: a command folds only its
/// own, so however many are left, its caller reads its own write at once.
async fn a_backlog_left_by_others_does_not_hold_up_a_command(backend: Backend) {
    let app = TestApp::new(backend).await;
    let backlog = clara::storage::fold::BATCH + 100;
    clara::with_pool!(app.db(), pool => {
        let mut tx = pool.begin().await.unwrap();
        for n in 0..backlog {
            sqlx::query(PROBE).bind(format!("probe_{n}")).execute(&mut *tx).await.unwrap();
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
    assert_eq!(lag(&app).await, backlog);
    let report = app.state.projector.catch_up().await.unwrap();
    assert_eq!(report.events as i64, backlog);
    assert_eq!(lag(&app).await, 0);
}

/// The user view takes its names from the account and its credits from the wallet: commits
/// on both at once must each find the other's change in the row they update.
async fn commits_on_two_aggregates_of_one_view_lose_neither_change(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ada = app.register("ada@example.com").await;
    let id = crate::support::id_of(&ada);
    let path = format!("/api/v1/users/{id}");
    let credits = format!("/api/v1/users/{id}/credits");
    let admin = app.private_key();
    let renames = (0..8).map(|n| {
        let body = format!(
            r#"{{"first_name": "name{n}", "is_dark_mode": {}}}"#,
            n % 2 == 0
        );
        let (app, ada, path) = (&app, &ada, &path);
        async move {
            app.as_user(Method::PATCH, path, ada, Some(&body))
                .await
                .status
        }
    });
    let credit = (1..=8).map(|n| {
        let body = format!(r#"{{"credits": {n}}}"#);
        let (app, admin, credits) = (&app, &admin, &credits);
        async move {
            app.send(Method::PUT, credits, Some(admin), Some(&body))
                .await
                .status
        }
    });
    let (renamed, credited) = tokio::join!(join_all(renames), join_all(credit));
    assert!(
        renamed
            .iter()
            .chain(&credited)
            .all(|s| *s == StatusCode::OK),
        "{renamed:?} {credited:?}"
    );
    let view = app.user_view(&id).await;
    let last_profile: String = clara::with_pool!(app.db(), pool => sqlx::query_scalar(
        "SELECT CAST(payload AS TEXT) FROM events WHERE aggregate_id = $1 \
         AND event_type = 'ProfileUpdated' ORDER BY sequence DESC LIMIT 1"
    ).bind(&id).fetch_one(pool).await.unwrap());
    let last_profile: serde_json::Value = serde_json::from_str(&last_profile).unwrap();
    assert_eq!(
        view.json["data"]["is_dark_mode"], last_profile["ProfileUpdated"]["is_dark_mode"],
        "the view shows the last profile change"
    );
    // A lost update leaves the live view unlike a fold of the whole log.
    app.assert_views_match_log().await;
}

/// How many events the projector has left to fold.
async fn lag(app: &TestApp) -> i64 {
    clara::storage::checkpoints::projector_lag(app.db())
        .await
        .unwrap()
}

/// A log restored into another PostgreSQL server holds transaction ids above the ones that
/// server hands out: start-up numbers new events after them, so no reader passes over them.
#[tokio::test]
async fn a_log_restored_into_another_server_keeps_its_order() {
    let app = TestApp::new(Backend::Postgres).await;
    app.register("before@example.com").await;
    // As the old server numbered them: far ahead of this one.
    clara::with_pool!(app.db(), pool => {
        for sql in [
            "UPDATE events SET xact_id = xact_id + 1000000000",
            "UPDATE projector_checkpoints SET xact_id = xact_id + 1000000000 WHERE xact_id > 0",
        ] {
            sqlx::query(sql).execute(pool).await.unwrap();
        }
    });
    let last = max_position(&app).await;
    let restarted = TestApp::open(&app.database_url).await;
    let registered = restarted.register("after@example.com").await;
    assert_eq!(registered.status, StatusCode::CREATED);
    let id = crate::support::id_of(&registered);
    let auth = restarted.private_key();
    let path = format!("/api/v1/events?after={last}");
    let started = std::time::Instant::now();
    let export = restarted.send(Method::GET, &path, Some(&auth), None).await;
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "readers do not wait"
    );
    assert!(
        export.text.contains(&id),
        "the new account's events come after the restored ones: {}",
        export.text
    );
}
