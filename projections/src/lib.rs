//! Clara's read models: pure code that folds events from the log into views.
//!
//! Views only copy facts out of events (and out of the log record: position and time), so
//! any of them can be rebuilt from the log alone. Storage lives in the service crate.

mod api_key_view;
mod log;
mod session_view;
mod task_view;
mod transaction_view;
mod user_view;
mod view;
mod view_set;

pub use api_key_view::ApiKeyView;
pub use log::{LoggedEvent, Recorded};
pub use session_view::SessionView;
pub use task_view::{QueuedTask, TaskView};
pub use transaction_view::TransactionView;
pub use user_view::UserView;
pub use view::{Row, View};
pub use view_set::ViewSet;
