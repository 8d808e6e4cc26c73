//! Clara's agent: what it reads and how it judges. For now, the attachment types it accepts.

pub mod attachments;
