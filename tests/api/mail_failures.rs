//! A mail that cannot be sent never holds up anyone else's: the test SMTP server refuses
//! `refused…` addresses for good (550) and `busy…` ones for now (451).

use crate::support::{Backend, TestApp};

crate::on_both_backends!(
    a_permanently_refused_mail_is_given_up_and_later_mail_flows,
    a_transiently_refused_mail_is_retried_without_blocking_later_mail,
);

async fn deliveries(app: &TestApp) -> Vec<(String, i64, bool)> {
    let sql = "SELECT status, attempts, next_attempt_at IS NOT NULL FROM mail_deliveries ORDER BY position";
    clara::with_pool!(app.db(), pool => sqlx::query_as(sql).fetch_all(pool).await.unwrap())
}

async fn a_permanently_refused_mail_is_given_up_and_later_mail_flows(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register("refused@example.com").await;
    app.register("ada@example.com").await;
    // Ada's activation arrives, and activates, although the mail before it failed.
    app.activate_from_mail("ada@example.com", 1).await;
    let rows = deliveries(&app).await;
    assert_eq!(rows[0].0, "failed", "{rows:?}");
    assert_eq!(rows[0].1, 1);
    assert_eq!(rows[1].0, "sent", "{rows:?}");
}

async fn a_transiently_refused_mail_is_retried_without_blocking_later_mail(backend: Backend) {
    let app = TestApp::with_mail(backend).await;
    app.register("busy@example.com").await;
    app.register("ada@example.com").await;
    app.activate_from_mail("ada@example.com", 1).await;
    let rows = deliveries(&app).await;
    assert_eq!(rows[0], ("retry".to_string(), 1, true), "{rows:?}");
    assert_eq!(rows[1].0, "sent", "{rows:?}");
    // Its retry comes when due (5 s later), not before, and is counted.
    app.state.clock.advance(5_000);
    app.state.mailer.deliver_pending().await.unwrap();
    let rows = deliveries(&app).await;
    assert_eq!(rows[0], ("retry".to_string(), 2, true), "{rows:?}");
}
