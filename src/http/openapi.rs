//! The OpenAPI 3.1 document, generated from the routes' own annotations as the router is
//! built (so a route cannot exist undocumented), with the contract's error statuses and the
//! credential schemes added to every operation.

use utoipa::openapi::path::{HttpMethod, OperationBuilder};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, Http, HttpAuthScheme, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, ResponseBuilder};
use utoipa::{Modify, ToSchema};

/// Every body is this envelope; `data` is the route's object, list or null.
#[derive(ToSchema)]
#[allow(dead_code)] // A schema only: bodies are written by `envelope`.
pub struct Envelope {
    data: Option<serde_json::Value>,
    message: String,
    #[schema(inline)]
    status: Outcome,
}

#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
enum Outcome {
    Success,
    Error,
}

/// One line of the export: an event as history shows it.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AuditLine {
    actor: Option<String>,
    aggregate: String,
    aggregate_id: String,
    data: serde_json::Map<String, serde_json::Value>,
    position: i64,
    recorded_at: String,
    request_id: Option<String>,
    #[schema(rename = "type")]
    kind: String,
}

/// The Analysis form: a `content` text, and up to five file parts, each named after its
/// file (`-F "report.pdf=@report.pdf"`), whose type its bytes must match.
#[derive(ToSchema, serde::Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)]
pub struct AnalysisForm {
    /// The text to check: not blank, at most 100,000 characters.
    #[schema(min_length = 1, max_length = 100000, pattern = "\\S")]
    content: String,
}

#[derive(utoipa::OpenApi)]
#[openapi(
    info(title = "Clara", description = "Accounts, credits and an agent, event-sourced. Every body is {data, message, status}."),
    components(schemas(Envelope, AuditLine)),
    modifiers(&Credentials)
)]
pub struct ApiDoc;

/// The credentials of the contract's §2, all in the `Authorization` header.
struct Credentials;

impl Modify for Credentials {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        let bearer = |what: &str| {
            let mut http = Http::new(HttpAuthScheme::Bearer);
            http.description = Some(format!("{what} (the whole token, with its prefix)"));
            SecurityScheme::Http(http)
        };
        let raw = |what: &str| {
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                "Authorization",
                what,
            )))
        };
        components.add_security_scheme(
            "basic",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Basic)),
        );
        components.add_security_scheme("user_token", bearer("A user token, clara_user_…"));
        components.add_security_scheme("api_key", bearer("A user's API key, clara_api_…"));
        components.add_security_scheme("public_key", raw("The raw public key"));
        components.add_security_scheme("private_key", raw("The raw private key"));
    }
}

/// The statuses any route may answer besides its success, each with the envelope.
const ERRORS: [(&str, &str); 10] = [
    ("400", "The body or a parameter is missing or invalid"),
    (
        "401",
        "The credential or code is missing, invalid or expired, or the account is not active",
    ),
    (
        "403",
        "The credential may not do this, or the balance is too low",
    ),
    ("404", "No such user, transaction, task, API key or route"),
    ("405", "The method is not allowed for this route"),
    ("409", "The resource was modified concurrently; retry"),
    ("413", "The request is too large"),
    ("429", "Rate limited; see Retry-After"),
    ("500", "Something went wrong"),
    (
        "503",
        "The database or a required upstream is unavailable, or a feature is not configured",
    ),
];

/// MCP's endpoint: one POST carrying JSON-RPC, described, not modelled.
fn mcp_operation() -> utoipa::openapi::path::Operation {
    OperationBuilder::new()
        .tag("mcp")
        .summary(Some("The MCP server (Streamable HTTP, JSON-RPC 2.0)"))
        .description(Some("initialize, tools/list and tools/call for the credential's user; see the README's MCP section."))
        .request_body(Some(
            RequestBodyBuilder::new()
                .content("application/json", ContentBuilder::new().build())
                .build(),
        ))
        .response("200", ResponseBuilder::new().description("A JSON-RPC response").build())
        .response("202", ResponseBuilder::new().description("A notification accepted").build())
        .security(utoipa::openapi::security::SecurityRequirement::new("api_key", Vec::<String>::new()))
        .build()
}

/// Completes the document the routes made: error statuses on every operation, and MCP's
/// endpoint as an opaque POST.
pub fn complete(mut openapi: OpenApi) -> OpenApi {
    let envelope = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Envelope")))
            .build()
    };
    openapi
        .paths
        .add_path_operation("/mcp", vec![HttpMethod::Post], mcp_operation());
    for item in openapi.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for operation in operations.into_iter().flatten() {
            for (status, description) in ERRORS {
                let response = ResponseBuilder::new()
                    .description(description)
                    .content("application/json", envelope())
                    .build();
                operation
                    .responses
                    .responses
                    .entry(status.to_string())
                    .or_insert(response.into());
            }
        }
    }
    openapi
}

/// The rules the routes check, written into the document so that a request it describes as
/// valid is one the service accepts: identifiers' shapes, page bounds, body fields' lengths.
pub fn constrained(openapi: &OpenApi) -> serde_json::Value {
    let mut doc = serde_json::to_value(openapi).unwrap_or_default();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for (path, item) in paths.iter_mut() {
            for operation in item
                .as_object_mut()
                .into_iter()
                .flat_map(|o| o.values_mut())
            {
                let parameters = operation
                    .get_mut("parameters")
                    .and_then(|p| p.as_array_mut());
                for parameter in parameters.into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap_or_default().to_string();
                    if let Some(schema) = parameter_schema(path, &name) {
                        parameter["schema"] = schema;
                    }
                }
            }
        }
    }
    let schemas = &mut doc["components"]["schemas"];
    for (pointer, rule) in BODY_RULES {
        if let Some(field) = schemas.pointer_mut(pointer) {
            if let (Some(field), Some(rule)) = (field.as_object_mut(), rule_json(rule).as_object())
            {
                field.extend(rule.clone());
            }
        }
    }
    doc
}

const NAME: &str = r#"{"type": "string", "pattern": "^[A-Za-z][A-Za-z .'-]{0,98}$"}"#;
const EMAIL: &str =
    r#"{"type": "string", "pattern": "^[a-z0-9]{1,20}@[a-z0-9]{1,20}\\.[a-z]{2,6}$"}"#;
const CODE: &str = r#"{"type": "string", "pattern": "^[0-9]{1,32}$"}"#;
const PASSWORD: &str = r#"{"type": "string", "minLength": 8, "maxLength": 128}"#;

/// Body fields and their rules, by JSON pointer into the component schemas.
const BODY_RULES: [(&str, &str); 15] = [
    ("/UpdateBody", r#"{"minProperties": 1}"#),
    ("/RegisterBody/properties/first_name", NAME),
    ("/RegisterBody/properties/last_name", NAME),
    ("/RegisterBody/properties/email", EMAIL),
    ("/RegisterBody/properties/password", PASSWORD),
    ("/UpdateBody/properties/first_name", NAME),
    ("/UpdateBody/properties/last_name", NAME),
    ("/CodeBody/properties/code", CODE),
    ("/PasswordBody/properties/code", CODE),
    ("/PasswordBody/properties/password", PASSWORD),
    ("/EnableBody/properties/code", CODE),
    (
        "/EnableBody/properties/method",
        r#"{"type": ["string", "null"], "enum": ["email", "totp", null]}"#,
    ),
    (
        "/CreditsBody/properties/credits",
        r#"{"type": "number", "minimum": 0, "maximum": 1000000000000, "multipleOf": 0.25}"#,
    ),
    (
        "/BuyBody/properties/return_path",
        r#"{"type": "string", "maxLength": 2048}"#,
    ),
    (
        "/GoogleBody/properties/id_token",
        r#"{"type": "string", "minLength": 1, "maxLength": 4096}"#,
    ),
];

fn rule_json(rule: &str) -> serde_json::Value {
    serde_json::from_str(rule).unwrap_or_default()
}

/// The schema of query or path parameter `name` of `path`.
fn parameter_schema(path: &str, name: &str) -> Option<serde_json::Value> {
    let id =
        |prefix: &str| format!(r#"{{"type": "string", "pattern": "^{prefix}_[0-9a-f]{{32}}$"}}"#);
    let text = match name {
        "user_id" => id("user"),
        "transaction_id" => id("transaction"),
        "task_id" => id("task"),
        "user_email" => EMAIL.to_string(),
        "otp_type" => {
            r#"{"type": "string", "enum": ["ACTIVATION", "CHANGE_PASSWORD", "TWO_FACTOR_AUTH", "DELETE_ACCOUNT"]}"#
                .into()
        }
        "offset" | "after" => r#"{"type": "integer", "format": "int64", "minimum": 0}"#.into(),
        "limit" => {
            let most = match path {
                "/api/v1/events" => 100_000,
                p if p.ends_with("/events") => 1_000,
                _ => 100,
            };
            let least = if path.ends_with("/events") { 1 } else { 0 };
            format!(
                r#"{{"type": "integer", "format": "int64", "minimum": {least}, "maximum": {most}}}"#
            )
        }
        "as_of" => r#"{"type": "string", "format": "date-time"}"#.into(),
        _ => return None,
    };
    Some(rule_json(&text))
}
