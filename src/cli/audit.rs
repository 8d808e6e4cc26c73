//! `clara audit USER_ID`: an account's history as a table (or JSON), or the user as they
//! were at an instant.

use clara_aggregates::money::format_minor;
use clara_projections::UserView;
use serde_json::json;

use crate::audit::as_of::user_as_of;
use crate::audit::history::{history, MAX_LIMIT};
use crate::audit::AuditEvent;
use crate::clock::{http_date, now_ms, parse_instant};
use crate::config::Common;
use crate::privacy::claim_ids::ClaimIds;
use crate::secrets::Secrets;
use crate::server::open_existing_database;
use crate::storage::views;

/// Characters of an event's data shown in the table.
const DATA_WIDTH: usize = 70;

pub async fn run(
    common: &Common,
    user_id: &str,
    as_of: Option<&str>,
    as_json: bool,
) -> anyhow::Result<()> {
    let db = open_existing_database(common).await?;
    let Some(user) = views::user(&db, user_id).await? else {
        anyhow::bail!("no user {user_id} in this database");
    };
    if let Some(text) = as_of {
        let at_ms = parse_instant(text).ok_or_else(|| {
            anyhow::anyhow!("--as-of {text:?} is neither an HTTP-date nor RFC 3339")
        })?;
        let keyring = Secrets::resolve(&common.database_url)?.keyring();
        let Some(then) = user_as_of(&db, &keyring, user_id, at_ms.min(now_ms())).await? else {
            anyhow::bail!("{user_id} did not exist yet at {}", http_date(at_ms));
        };
        print_user(&then, as_json);
        return Ok(());
    }
    let secrets = Secrets::resolve(&common.database_url)?;
    let claim_id = ClaimIds::new(&secrets.data_key).of(&user.email);
    let keyring = secrets.keyring();
    let mut after = 0;
    let mut events = Vec::new();
    loop {
        let page = history(&db, &keyring, user_id, &claim_id, after, MAX_LIMIT).await?;
        let Some(last) = page.last() else { break };
        after = last.position;
        events.extend(page);
    }
    if as_json {
        println!("{}", serde_json::to_string_pretty(&events)?);
    } else {
        print_table(&events);
    }
    db.close().await;
    Ok(())
}

fn print_table(events: &[AuditEvent]) {
    println!(
        "{:>8}  {:<29}  {:<28}  {:<40}  data",
        "position", "recorded at", "event", "actor"
    );
    for event in events {
        let kind = format!("{}.{}", event.aggregate, event.kind);
        let mut data = serde_json::to_string(&event.data).unwrap_or_default();
        if data.chars().count() > DATA_WIDTH {
            data = data.chars().take(DATA_WIDTH - 1).chain(['…']).collect();
        }
        let actor = event.actor.as_deref().unwrap_or("-");
        println!(
            "{:>8}  {:<29}  {kind:<28}  {actor:<40}  {data}",
            event.position, event.recorded_at
        );
    }
    println!("{} events", events.len());
}

fn print_user(user: &UserView, as_json: bool) {
    let object = json!({
        "created_at": http_date(user.created_at_ms),
        "credits": format_minor(user.credits_minor),
        "email": user.email,
        "first_name": user.first_name,
        "id": user.id,
        "is_2fa_enabled": user.is_2fa_enabled,
        "is_active": user.is_active,
        "is_dark_mode": user.is_dark_mode,
        "last_name": user.last_name,
        "updated_at": http_date(user.updated_at_ms),
    });
    if as_json {
        println!(
            "{}",
            serde_json::to_string_pretty(&object).unwrap_or_default()
        );
        return;
    }
    for (key, value) in object.as_object().into_iter().flatten() {
        println!(
            "{key:<15} {}",
            value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string)
        );
    }
}
