//! Delivery through Amazon SES (the cloud's dispatcher when no SMTP server is configured):
//! `SendEmail` with simple content, a UTF-8 subject and text body.

use async_trait::async_trait;
use aws_sdk_sesv2::Client;
use aws_sdk_sesv2::error::ProvideErrorMetadata;
use aws_sdk_sesv2::types::{Body, Content, Destination, EmailContent, Message};
use base64::Engine as _;
use lettre::message::Mailbox;

use super::{MailError, MailSender};
use crate::domain::Mail;

pub struct SesSender {
    client: Client,
    /// `From`: an identity verified in SES.
    from: String,
}

impl SesSender {
    pub fn new(client: Client, from: &Mailbox) -> Self {
        Self {
            client,
            from: from_address(from),
        }
    }

    /// A sender with the client configured from the standard AWS variables, the SDK's
    /// behaviour pinned as for DynamoDB (docs/cloud.md#start-up).
    pub async fn from_env(from: &Mailbox) -> Self {
        let config = aws_config::defaults(aws_config::BehaviorVersion::v2026_01_12())
            .load()
            .await;
        Self::new(Client::new(&config), from)
    }
}

/// The sender as SES takes it: a display name outside ASCII in MIME encoded-word form.
fn from_address(from: &Mailbox) -> String {
    match from.name.as_deref().map(str::trim) {
        Some(name) if !name.is_empty() && !name.is_ascii() => {
            let encoded = base64::engine::general_purpose::STANDARD.encode(name);
            format!("=?UTF-8?B?{encoded}?= <{}>", from.email)
        }
        _ => from.to_string(),
    }
}

fn utf8(text: &str) -> Result<Content, MailError> {
    Content::builder()
        .data(text)
        .charset("UTF-8")
        .build()
        .map_err(|e| MailError::Build(e.to_string()))
}

#[async_trait]
impl MailSender for SesSender {
    async fn send(&self, mail: &Mail) -> Result<(), MailError> {
        let message = Message::builder()
            .subject(utf8(&mail.subject)?)
            .body(Body::builder().text(utf8(&mail.body)?).build())
            .build();
        let sent = self
            .client
            .send_email()
            .from_email_address(&self.from)
            .destination(
                Destination::builder()
                    .to_addresses(mail.to.as_str())
                    .build(),
            )
            .content(EmailContent::builder().simple(message).build())
            .send()
            .await;
        match sent {
            Ok(_) => Ok(()),
            // Its reasons can quote addresses ("not verified: …"); `transport` masks them.
            Err(error) => Err(MailError::transport(match error.as_service_error() {
                Some(service) => format!(
                    "{}: {}",
                    service.code().unwrap_or("unknown"),
                    service.message().unwrap_or("")
                ),
                None => format!("{error}"),
            })),
        }
    }
}

#[cfg(test)]
mod tests {
    //! SES itself cannot run here: its API is stood in for by an HTTP endpoint on loopback
    //! that keeps the request it gets, to check what the sender asks SES to send.

    use std::sync::{Arc, Mutex};

    use aws_sdk_sesv2::config::{BehaviorVersion, Credentials, Region};
    use axum::Router;
    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use jiff::Timestamp;
    use serde_json::{Value, json};

    use super::*;
    use crate::domain::Email;
    use crate::domain::MailKind;
    use crate::mail::sender_address;

    type Seen = Arc<Mutex<Vec<(String, Value)>>>;

    /// The stand-in: answers `SendEmail` (`POST /v2/email/outbound-emails`) with `status`.
    async fn stand_in(status: StatusCode, answer: Value) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let app = Router::new()
            .route(
                "/v2/email/outbound-emails",
                post(
                    move |State(seen): State<Seen>, headers: HeaderMap, body: String| async move {
                        let auth = headers
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        seen.lock()
                            .unwrap()
                            .push((auth, serde_json::from_str(&body).unwrap()));
                        (status, axum::Json(answer))
                    },
                ),
            )
            .with_state(seen.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (format!("http://{addr}"), seen)
    }

    fn client(endpoint: &str) -> Client {
        let config = aws_sdk_sesv2::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("ap-northeast-1"))
            .credentials_provider(Credentials::new(
                "AKIDSTANDIN",
                "stand-in",
                None,
                None,
                "test",
            ))
            .endpoint_url(endpoint)
            .build();
        Client::from_conf(config)
    }

    fn mail() -> Mail {
        let at: Timestamp = "2026-11-22T00:00:00Z".parse().unwrap();
        Mail::new(
            &Email::parse("taro@example.jp").unwrap(),
            MailKind::RenewalCompleted,
            "【madoguchi】シリアル番号 SSU-12345678 の更新が完了しました".into(),
            "山田 太郎 様\n\n更新ユーザー登録が完了しました。".into(),
            at,
        )
    }

    #[tokio::test]
    async fn a_mail_goes_to_ses_as_simple_utf8_content_from_the_configured_sender() {
        let (endpoint, seen) = stand_in(StatusCode::OK, json!({"MessageId": "stand-in-1"})).await;
        let from = sender_address("madoguchi サポート <no-reply@example.jp>").unwrap();
        let sender = SesSender::new(client(&endpoint), &from);
        let mail = mail();
        sender.send(&mail).await.expect("accepted");

        let seen = seen.lock().unwrap();
        assert_eq!(seen.len(), 1);
        let (auth, request) = &seen[0];
        assert!(auth.contains("/ap-northeast-1/ses/aws4_request"), "{auth}");
        assert_eq!(
            request["FromEmailAddress"],
            "=?UTF-8?B?bWFkb2d1Y2hpIOOCteODneODvOODiA==?= <no-reply@example.jp>"
        );
        assert_eq!(
            request["Destination"]["ToAddresses"],
            json!(["taro@example.jp"])
        );
        let simple = &request["Content"]["Simple"];
        assert_eq!(simple["Subject"]["Data"], mail.subject);
        assert_eq!(simple["Subject"]["Charset"], "UTF-8");
        assert_eq!(simple["Body"]["Text"]["Data"], mail.body);
        assert_eq!(simple["Body"]["Text"]["Charset"], "UTF-8");
    }

    #[tokio::test]
    async fn a_refusal_is_a_transport_error_without_the_address() {
        let (endpoint, _) = stand_in(
            StatusCode::BAD_REQUEST,
            json!({"__type": "MessageRejected",
                   "message": "Email address is not verified: taro@example.jp"}),
        )
        .await;
        let from = sender_address("no-reply@example.jp").unwrap();
        let sender = SesSender::new(client(&endpoint), &from);
        let refused = sender.send(&mail()).await.expect_err("refused");
        let text = refused.to_string();
        assert!(matches!(refused, MailError::Transport(_)), "{text}");
        assert!(text.contains("MessageRejected"), "{text}");
        assert!(
            text.contains("t***@example.jp") && !text.contains("taro@"),
            "{text}"
        );
    }
}
