//! End-to-end tests: real HTTP on loopback, a real redb file per test, the rules of docs/.

mod activation;
mod admin;
mod bad_input;
mod bursts;
mod cancellation;
mod dynamodb;
mod help_desk;
mod idempotency;
mod lambda;
mod line_notification;
mod login;
mod logs;
mod openapi;
mod orders;
mod outbox;
mod readers;
mod receipts;
mod reminders;
mod renewal;
mod request_ids;
mod services;
mod sessions;
mod smtp_sink;
mod support;
mod unlock;
mod usage;
