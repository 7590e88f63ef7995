//! Newtypes for identifiers, so a reference cannot be passed where a terminal id is expected.
//!
//! Ids are `CompactString`s: the ids found in payment files (RRN 12, terminal 8, merchant 15,
//! trace 6 characters) fit inline in 24 bytes, so reading them does not touch the heap.

use compact_str::CompactString;
use serde::Serialize;
use std::fmt;

macro_rules! id_type {
    ($(#[$doc:meta] $name:ident),* $(,)?) => {$(
        #[$doc]
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(CompactString);

        impl $name {
            pub fn new(s: &str) -> Self {
                Self(CompactString::new(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0.as_str())
            }
        }
    )*};
}

id_type!(
    /// Merchant id (商户号) as the acquirer writes it.
    MerchantId,
    /// Terminal id (终端号 / device id).
    TerminalId,
    /// Trace / voucher number (凭证号), kept as written: zero padding is significant.
    TraceNo,
    /// Batch number (批次号).
    BatchId,
    /// Network reference (RRN, 参考号, PSP reference): ties a log row to its settlement line.
    Reference,
    /// The gateway's transaction id (PayPal transaction id, 微信订单号, …).
    TxnId,
    /// The merchant's own order id (商户订单号, merchant reference).
    OrderId,
    /// City or place of the transaction.
    City,
    /// Card type as written: scheme (`visa`), variant (`mccredit`) or funding (`debit`, 借记卡).
    CardType,
);
