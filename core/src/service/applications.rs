//! What every application to the back office shares (docs/line-notification.md,
//! docs/services.md): the applicant (お申込者情報), the 工事完了通知 they may ask for, the
//! status of an accepted submission, and the limit of 10 submissions a member a Japan day.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::Error;
use crate::domain::japan;
use crate::domain::order::CompletionMail;
use crate::domain::{ApplicantName, Customer, Email, Phone};

/// Submitted applications per member per Japan day, 回線情報通知 and services together. Each
/// may mail an address the member types, so the limit keeps the forms from becoming a way
/// to send mail.
pub const DAILY_APPLICATIONS: u32 = 10;

/// お申込者情報. `email` is present whenever `completion_email` is true, and then is no
/// mobile carrier's address (the HTTP layer refuses such applications field by field).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Applicant {
    #[schema(value_type = String)]
    pub name: ApplicantName,
    #[schema(value_type = String)]
    pub phone: Phone,
    #[schema(value_type = Option<String>)]
    pub email: Option<Email>,
    pub completion_email: bool,
}

/// docs/orders.md: a submission is accepted at once; the back office carries it out.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApplicationStatus {
    Accepted,
}

/// Where the 工事完了通知 goes, when the applicant asked for it.
pub fn completion_mail(applicant: &Applicant) -> Option<CompletionMail> {
    match (applicant.completion_email, &applicant.email) {
        (true, Some(to)) => Some(CompletionMail {
            to: to.clone(),
            name: applicant.name.to_string(),
        }),
        _ => None,
    }
}

/// Takes one of today's places on the member's record, or refuses with 429 until midnight
/// in Japan. The count rides on the member's version, so concurrent submissions cannot all
/// read the same count and all pass.
pub fn take_daily_place(customer: &mut Customer, now: Timestamp) -> Result<(), Error> {
    let today = japan::date_of(now);
    if customer.applications.count_on(today) >= DAILY_APPLICATIONS {
        return Err(Error::TooManyApplications {
            retry_after_seconds: japan::seconds_until_next_day(now),
        });
    }
    customer.applications.add_one(today);
    Ok(())
}
