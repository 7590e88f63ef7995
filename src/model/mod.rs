//! The vocabulary every other module speaks: money, cards, ids, times and the canonical records.

mod card;
mod hours;
mod ids;
mod money;
mod record;
mod source;

pub use card::{Card, mask_pans, mask_pans_in_ids};
pub use hours::Hours;
pub use ids::{
    BatchId, CardType, City, MerchantId, OrderId, Reference, TerminalId, TraceNo, TxnId,
};
pub use money::{Currency, Money, POWERS_OF_TEN, checked_add};
pub use record::{
    BankLine, Channel, Direction, Record, Role, SettlementLine, SettlementRow, Status, Transaction,
    TxRow, TxType, folded,
};
pub use source::{FileId, Source};
