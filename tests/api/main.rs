//! Integration tests: the real router, in-process, against a real SQLite file and a real
//! PostgreSQL database — a fresh database for every test, every test on both backends.

mod analyses;
mod fake_llm;
mod mailbox;
mod served;
mod stripe;
mod stripe_api;
mod support;

mod abandoned;
mod agent;
mod analysis_refusals;
mod as_of;
mod audit;
mod authenticator;
mod bounds;
mod cli;
mod cli_audit;
mod code_caps;
mod codes;
mod credentials;
mod envelope;
mod faults;
mod google;
mod health;
mod hostile_input;
mod mail_failures;
mod mcp;
mod metrics;
mod old_events;
mod openai_analyzer;
mod openapi;
mod profile;
mod projector;
mod rate_limits;
mod read_timeouts;
mod readme;
mod refusals;
mod register;
mod s3_attachments;
mod sessions;
mod task_leases;
mod task_processes;
mod tasks;
mod users;
mod wallet;
