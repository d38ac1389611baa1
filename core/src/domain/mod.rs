//! Values that parse at the edge: once a value has one of these types it is valid
//! everywhere. Input is normalised first (docs/api.md: NFKC, trim).

pub mod catalogue;
pub mod code;
pub mod customer;
pub mod field_code;
pub mod japan;
pub mod mail;
pub mod order;
pub mod product_order;
pub mod provider;
pub mod reader;
pub mod receipt;
pub mod serial;
pub mod session;
pub mod text;
pub mod unlock;

pub use code::{CodeRecord, CodeRefusal, Redemption, RenewalCode};
pub use customer::{
    AccessKey, Customer, CustomerId, Email, Line, PersonName, Service, ServiceApplication,
    ServiceStatus,
};
pub use field_code::FieldCode;
pub use mail::{
    DuePlace, FailedMailAction, MAX_ATTEMPTS, Mail, MailKind, MailStatus, PendingMail, backoff,
    scrub,
};
pub use order::{
    OpenOrder, Order, OrderDetails, OrderKind, OrderNo, OrderStatus, OrderStep, SettingChange,
};
pub use provider::{
    ApplicantName, Phone, Provider, ProviderCode, ProviderSetting, SetVia, Setting,
};
pub use reader::{PaymentMethod, Price, Reader, ReaderStatus, ReaderType};
pub use receipt::{Receipt, ReceiptKind};
pub use serial::{
    Billing, Device, DeviceId, DeviceName, EventKind, HistoryEvent, Os, Plan, Product, Serial,
    SerialRecord, SerialStatus,
};
pub use session::{NotAToken, Session, new_session_token, token_member};
pub use text::{FieldError, FieldErrors};
pub use unlock::{Unlock, UnlockCode};
