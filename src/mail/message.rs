//! The messages Clara sends.

use anyhow::Context;
use clara_aggregates::OtpType;
use lettre::message::header::ContentType;
use lettre::Message;

pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// The mail that carries a one-time code.
pub fn otp_mail(to: &str, otp_type: OtpType, code: &str, minutes_left: i64) -> Mail {
    let (purpose, subject) = match otp_type {
        OtpType::Activation => ("activate your account", "Activate your Clara account"),
        OtpType::ChangePassword => ("change your password", "Your Clara password change code"),
        OtpType::TwoFactorAuth => ("sign in", "Your Clara sign-in code"),
        OtpType::DeleteAccount => ("delete your account", "Your Clara account deletion code"),
    };
    // The code stays out of the subject, which notifications and mail-server logs show.
    Mail {
        to: to.to_string(),
        subject: subject.to_string(),
        body: format!(
            "Your Clara code to {purpose} is {code}.\r\n\r\nIt expires in {minutes_left} minutes and works once. \
             If you did not ask for it, you can ignore this message.\r\n"
        ),
    }
}

impl Mail {
    pub fn build(&self, from: &str) -> anyhow::Result<Message> {
        Message::builder()
            .from(from.parse().context("MAIL_FROM is not a valid address")?)
            .to(self
                .to
                .parse()
                .context("the recipient is not a valid address")?)
            .subject(&self.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(self.body.clone())
            .context("cannot build the message")
    }
}
