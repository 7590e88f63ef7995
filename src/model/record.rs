//! The canonical records the ingest produces and the engine consumes.

use super::{
    BatchId, Card, CardType, City, MerchantId, Money, OrderId, Reference, Source, TerminalId,
    TraceNo, TxnId,
};
use chrono::{DateTime, FixedOffset, NaiveDate};
use compact_str::CompactString;
use serde::Serialize;
use std::fmt;

/// What a file holds, and so which record each row becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// A POS / gateway transaction log (or a payer's bill): rows become `Transaction`s.
    Transactions,
    /// An acquirer's settlement statement: rows become `SettlementLine`s.
    Settlement,
    /// A bank account statement: rows become `BankLine`s.
    Bank,
}

impl Role {
    pub fn name(self) -> &'static str {
        match self {
            Role::Transactions => "transactions",
            Role::Settlement => "settlement",
            Role::Bank => "bank",
        }
    }

    /// The `reconcile` flag that takes files of this role.
    pub fn flag(self) -> &'static str {
        match self {
            Role::Transactions => "-t",
            Role::Settlement => "-s",
            Role::Bank => "-b",
        }
    }
}

/// Which way money moved, from the account holder's view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    Credit,
    Debit,
    /// Neither income nor expense (不计收支, 中性交易): the amount is kept as written.
    Neutral,
}

impl Direction {
    pub fn parse(raw: &str) -> Option<Direction> {
        let s = raw.trim();
        let lower = s.to_ascii_lowercase();
        let credit = [
            "收入", "收", "贷", "贷 cr", "cr", "credit", "c", "in", "income", "入账", "存入",
        ];
        let debit = [
            "支出", "支", "借", "借 dr", "dr", "debit", "d", "out", "expense", "出账", "支取",
        ];
        let neutral = ["不计收支", "/", "中性交易", "其他", "neutral"];
        if credit.contains(&lower.as_str()) {
            Some(Direction::Credit)
        } else if debit.contains(&lower.as_str()) {
            Some(Direction::Debit)
        } else if neutral.contains(&lower.as_str()) {
            Some(Direction::Neutral)
        } else {
            None
        }
    }
}

/// How many of a value's words `described` shows, and how long they may be.
const VOCABULARY_EXAMPLES: usize = 2;
const VOCABULARY_EXAMPLE_LEN: usize = 10;

/// The characters a word is compared by: lower case, without white space, `_` or `-`. The
/// vocabularies' values and a contract's card types are folded alike.
pub fn folded(raw: &str) -> impl Iterator<Item = char> + '_ {
    raw.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-'))
        .flat_map(char::to_lowercase)
}

macro_rules! vocabulary {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $label:literal: [$($word:literal),* $(,)?]),* $(,)? }) => {
        $(#[$doc])*
        #[derive(PartialEq, Eq, Hash)]
        pub enum $name {
            $($variant,)*
            /// A value outside the known vocabulary, kept as written.
            Other(CompactString),
        }

        /// As derived, but inlined: the plain-row lane clones a remembered value for every
        /// row, and a known word's clone is a copy of its tag.
        impl Clone for $name {
            #[inline(always)]
            fn clone(&self) -> Self {
                match self {
                    $($name::$variant => $name::$variant,)*
                    $name::Other(s) => $name::Other(s.clone()),
                }
            }
        }

        impl $name {
            /// Each value's label and the words (folded) that mean it.
            const WORDS: &'static [(&'static str, &'static [&'static str])] =
                &[$(($label, &[$($word),*])),*];

            /// Maps an exported value (English or Chinese, any case) onto the vocabulary.
            pub fn parse(raw: &str) -> $name {
                let s = raw.trim();
                // Fast path for ASCII values: the folded key is built on the stack.
                if s.is_ascii() && s.len() <= 32 {
                    let mut buf = [0u8; 32];
                    let mut n = 0;
                    for &b in s.as_bytes() {
                        if !matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b'_' | b'-') {
                            buf[n] = b.to_ascii_lowercase();
                            n += 1;
                        }
                    }
                    let key = std::str::from_utf8(&buf[..n]).unwrap_or("");
                    $(if [$($word),*].contains(&key) { return $name::$variant; })*
                    return $name::Other(CompactString::new(super::mask_pans(s)));
                }
                let key: CompactString = folded(s).collect();
                $(if [$($word),*].contains(&key.as_str()) { return $name::$variant; })*
                $name::Other(CompactString::new(super::mask_pans(s)))
            }

            /// The vocabulary in a few words, for a message about a value outside it: each
            /// value with its first short English words (`approved (success, paid …)`).
            pub fn described() -> String {
                let described: Vec<String> = $name::WORDS
                    .iter()
                    .map(|(label, words)| {
                        let examples: Vec<&str> = words
                            .iter()
                            .copied()
                            .filter(|w| w.is_ascii() && w.len() <= VOCABULARY_EXAMPLE_LEN)
                            .filter(|w| *w != label.replace('_', ""))
                            .take(VOCABULARY_EXAMPLES)
                            .collect();
                        match examples.is_empty() {
                            true => label.to_string(),
                            false => format!("{label} ({} …)", examples.join(", ")),
                        }
                    })
                    .collect();
                described.join(", ")
            }

            /// A word of the vocabulary, not one kept as written.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }

            pub fn label(&self) -> &str {
                match self {
                    $($name::$variant => $label,)*
                    $name::Other(s) => s,
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.label())
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.label())
            }
        }
    };
}

vocabulary! {
    /// The kind of a transaction or settlement line.
    TxType {
        Sale = "sale": ["sale", "purchase", "payment", "charge", "sales", "settled", "authcapture",
            "authandcapture", "消费", "支付", "商户消费", "消费交易", "收款", "扫码支付", "条码支付",
            "付款码支付", "扫二维码付款", "付款", "刷卡消费", "pos消费", "expresscheckoutpayment",
            "websitepayment", "generalpayment", "standardpayment", "pagoestándar", "subscriptionpayment",
            "success", "sold"],
        Refund = "refund": ["refund", "refunded", "return", "partialrefund", "退款", "退货",
            "refundforpayment", "paymentrefund"],
        Void = "void": ["void", "voided", "cancel", "cancelled", "reversal", "reversed", "撤销", "冲正",
            "预授权完成撤销", "预授权撤销", "完成撤销", "preauthcompletionvoid", "completionvoid", "preauthvoid",
            "消费撤销", "revoked"],
        PreauthCompletion = "preauth_completion": ["preauthcompletion", "preauthorizationcompletion",
            "completion", "capture", "预授权完成"],
        Preauth = "preauth": ["preauth", "preauthorization", "preauthorisation", "authorisation",
            "authorization", "auth", "authonly", "authorize", "authorise", "预授权"],
        Chargeback = "chargeback": ["chargeback", "dispute", "secondchargeback", "拒付", "调单"],
        Fee = "fee": ["fee", "fees", "手续费", "servicefee"],
        Payout = "payout": ["payout", "merchantpayout", "withdrawal", "generalwithdrawal", "提现", "零钱提现"],
        Transfer = "transfer": ["transfer", "balancetransfer", "转账", "bankdeposittoppaccount"],
    }
}

vocabulary! {
    /// Whether the transaction went through. A sale's status says what the issuer and the
    /// gateway made of it: captured, paid, authorised and one later disputed or partly
    /// refunded all went through (approved); an order never paid did not (declined). The
    /// values that went through come first, so that `went_through` is one comparison.
    Status {
        Approved = "approved": ["approved", "success", "paid", "captured", "succeeded", "successful",
            "completed", "complete", "ok", "00", "settled", "authorised", "authorized", "accepted",
            "sentforsettle", "submittedforsettlement", "settling", "settlementpending",
            "settlementconfirmed", "cleared", "processed", "tradesuccess", "tradefinished",
            "partiallyrefunded", "chargeback", "chargedback",
            "disputed", "secondchargeback", "chargebackreversed", "成功", "交易成功", "支付成功",
            "支付完成", "付款成功", "已支付", "已付款", "交易完成", "已完成", "已结算", "已清算",
            "已授权", "授权成功", "已请款", "请款成功", "部分退款", "已收钱", "已转账", "已存入零钱",
            "提现已到账", "朋友已收钱", "已到账", "已全额退款", "退款成功", "充值成功", "充值完成",
            "承兑"],
        Pending = "pending": ["pending", "processing", "authorizing", "received", "userpaying",
            "inprogress", "onhold", "held", "等待确认收货", "处理中", "支付中", "交易处理中"],
        Refunded = "refunded": ["refunded", "refund", "fullyrefunded", "refundedbulk", "已退款", "全额退款",
            "已退货"],
        Declined = "declined": ["declined", "failed", "refused", "rejected", "fail", "denied", "error",
            "payerror", "processordeclined", "gatewayrejected", "settlementdeclined", "capturefailed",
            "blocked", "notpay", "unpaid", "waitbuyerpay", "拒绝", "已拒绝", "交易拒绝", "失败", "交易失败", "支付失败",
            "付款失败", "授权失败", "待支付", "未支付", "等待付款"],
        Voided = "voided": ["voided", "cancelled", "reversed", "expired", "void", "cancel", "canceled",
            "closed", "tradeclosed", "revoked", "reversal", "authorizationexpired", "authorisationexpired",
            "交易关闭",
            "已撤销", "撤销", "已关闭", "已冲正", "冲正", "已取消", "取消", "已作废", "作废"],
    }
}

impl Status {
    /// Whether the money is expected to move: approved; pending (in flight when the log was
    /// exported: if it settles it is a sale like any other, and if it does not by its due
    /// date it is money to chase); or refunded after it went through.
    pub fn went_through(&self) -> bool {
        matches!(self, Status::Approved | Status::Pending | Status::Refunded)
    }
}

vocabulary! {
    /// How the customer paid.
    Channel {
        Card = "card": ["card", "bankcard", "银行卡", "刷卡", "pos", "visa", "mc", "mastercard", "amex",
            "unionpay", "银联", "cup", "cartebancaire", "maestro", "jcb", "discover", "diners", "bcmc",
            "bcmcmobile", "debit", "credit", "卡组织线上/无卡交易"],
        Qr = "qr": ["qr", "qrcode", "扫码", "二维码", "wechat", "wechatpay", "weixin", "微信", "微信支付",
            "alipay", "支付宝", "native", "jsapi", "micropay", "unionpayqr", "云闪付"],
    }
}

/// One row of a transaction log.
#[derive(Debug, Clone)]
pub struct Transaction {
    pub source: Source,
    pub time: DateTime<FixedOffset>,
    pub merchant_id: Option<MerchantId>,
    pub terminal_id: Option<TerminalId>,
    pub trace_no: Option<TraceNo>,
    pub batch: Option<BatchId>,
    pub reference: Option<Reference>,
    pub txn_id: Option<TxnId>,
    pub order_id: Option<OrderId>,
    pub card: Option<Card>,
    pub card_type: Option<CardType>,
    /// Signed from the account holder's view: a refund written as a positive amount stays positive
    /// here and is told apart by `kind`; a direction column (收/支) sets the sign.
    pub amount: Money,
    pub kind: TxType,
    pub status: Status,
    pub channel: Option<Channel>,
    pub city: Option<City>,
}

/// A transaction as the engine takes it: `Transaction`'s content with its ids borrowed (from a
/// `Transaction`, or straight from the row of a file), so that reading a million rows copies no
/// id out of the file's buffer.
#[derive(Debug, Clone, PartialEq)]
pub struct TxRow<'a> {
    pub source: Source,
    pub time: DateTime<FixedOffset>,
    pub merchant_id: Option<&'a str>,
    pub terminal_id: Option<&'a str>,
    pub trace_no: Option<&'a str>,
    pub batch: Option<&'a str>,
    pub reference: Option<&'a str>,
    pub txn_id: Option<&'a str>,
    pub order_id: Option<&'a str>,
    /// Masked, as `Card` holds it.
    pub card: Option<&'a str>,
    pub card_type: Option<&'a str>,
    pub amount: Money,
    pub kind: TxType,
    pub status: Status,
    pub channel: Option<Channel>,
    pub city: Option<&'a str>,
}

impl Transaction {
    pub fn row(&self) -> TxRow<'_> {
        TxRow {
            source: self.source,
            time: self.time,
            merchant_id: self.merchant_id.as_ref().map(MerchantId::as_str),
            terminal_id: self.terminal_id.as_ref().map(TerminalId::as_str),
            trace_no: self.trace_no.as_ref().map(TraceNo::as_str),
            batch: self.batch.as_ref().map(BatchId::as_str),
            reference: self.reference.as_ref().map(Reference::as_str),
            txn_id: self.txn_id.as_ref().map(TxnId::as_str),
            order_id: self.order_id.as_ref().map(OrderId::as_str),
            card: self.card.as_ref().map(Card::as_str),
            card_type: self.card_type.as_ref().map(CardType::as_str),
            amount: self.amount,
            kind: self.kind.clone(),
            status: self.status.clone(),
            channel: self.channel.clone(),
            city: self.city.as_ref().map(City::as_str),
        }
    }
}

impl TxRow<'_> {
    pub fn to_transaction(&self) -> Transaction {
        Transaction {
            source: self.source,
            time: self.time,
            merchant_id: self.merchant_id.map(MerchantId::new),
            terminal_id: self.terminal_id.map(TerminalId::new),
            trace_no: self.trace_no.map(TraceNo::new),
            batch: self.batch.map(BatchId::new),
            reference: self.reference.map(Reference::new),
            txn_id: self.txn_id.map(TxnId::new),
            order_id: self.order_id.map(OrderId::new),
            // A masked card reads back as itself.
            card: self.card.and_then(Card::parse),
            card_type: self.card_type.map(CardType::new),
            amount: self.amount,
            kind: self.kind.clone(),
            status: self.status.clone(),
            channel: self.channel.clone(),
            city: self.city.map(City::new),
        }
    }
}

/// One line of an acquirer's settlement statement.
#[derive(Debug, Clone)]
pub struct SettlementLine {
    pub source: Source,
    pub settle_date: Option<NaiveDate>,
    pub txn_time: Option<DateTime<FixedOffset>>,
    pub reference: Option<Reference>,
    pub txn_id: Option<TxnId>,
    pub order_id: Option<OrderId>,
    pub merchant_id: Option<MerchantId>,
    pub terminal_id: Option<TerminalId>,
    pub card: Option<Card>,
    pub card_type: Option<CardType>,
    /// Gross amount; zero on lines that carry only a net (fees, payouts, balance transfers).
    pub gross: Money,
    pub fee: Option<Money>,
    pub net: Option<Money>,
    pub batch: Option<BatchId>,
    pub kind: TxType,
    pub channel: Option<Channel>,
}

/// A settlement line as the engine takes it: `SettlementLine`'s content with its ids borrowed.
#[derive(Debug, Clone, PartialEq)]
pub struct SettlementRow<'a> {
    pub source: Source,
    pub settle_date: Option<NaiveDate>,
    pub txn_time: Option<DateTime<FixedOffset>>,
    pub reference: Option<&'a str>,
    pub txn_id: Option<&'a str>,
    pub order_id: Option<&'a str>,
    pub merchant_id: Option<&'a str>,
    pub terminal_id: Option<&'a str>,
    /// Masked, as `Card` holds it.
    pub card: Option<&'a str>,
    pub card_type: Option<&'a str>,
    pub gross: Money,
    pub fee: Option<Money>,
    pub net: Option<Money>,
    pub batch: Option<&'a str>,
    pub kind: TxType,
    pub channel: Option<Channel>,
}

impl SettlementLine {
    pub fn row(&self) -> SettlementRow<'_> {
        SettlementRow {
            source: self.source,
            settle_date: self.settle_date,
            txn_time: self.txn_time,
            reference: self.reference.as_ref().map(Reference::as_str),
            txn_id: self.txn_id.as_ref().map(TxnId::as_str),
            order_id: self.order_id.as_ref().map(OrderId::as_str),
            merchant_id: self.merchant_id.as_ref().map(MerchantId::as_str),
            terminal_id: self.terminal_id.as_ref().map(TerminalId::as_str),
            card: self.card.as_ref().map(Card::as_str),
            card_type: self.card_type.as_ref().map(CardType::as_str),
            gross: self.gross,
            fee: self.fee,
            net: self.net,
            batch: self.batch.as_ref().map(BatchId::as_str),
            kind: self.kind.clone(),
            channel: self.channel.clone(),
        }
    }
}

impl SettlementRow<'_> {
    pub fn to_line(&self) -> SettlementLine {
        SettlementLine {
            source: self.source,
            settle_date: self.settle_date,
            txn_time: self.txn_time,
            reference: self.reference.map(Reference::new),
            txn_id: self.txn_id.map(TxnId::new),
            order_id: self.order_id.map(OrderId::new),
            merchant_id: self.merchant_id.map(MerchantId::new),
            terminal_id: self.terminal_id.map(TerminalId::new),
            // A masked card reads back as itself.
            card: self.card.and_then(Card::parse),
            card_type: self.card_type.map(CardType::new),
            gross: self.gross,
            fee: self.fee,
            net: self.net,
            batch: self.batch.map(BatchId::new),
            kind: self.kind.clone(),
            channel: self.channel.clone(),
        }
    }
}

/// One line of a bank account statement.
#[derive(Debug, Clone)]
pub struct BankLine {
    pub source: Source,
    pub time: DateTime<FixedOffset>,
    /// Signed: credits positive, debits negative.
    pub amount: Money,
    pub reference: Option<Reference>,
    pub card: Option<Card>,
    pub description: Option<CompactString>,
}

/// Whatever a data row became.
#[derive(Debug, Clone)]
pub enum Record {
    Transaction(Transaction),
    Settlement(SettlementLine),
    Bank(BankLine),
}

impl Record {
    pub fn source(&self) -> Source {
        match self {
            Record::Transaction(t) => t.source,
            Record::Settlement(s) => s.source,
            Record::Bank(b) => b.source,
        }
    }

    /// The amount that the inspect totals add up: a log's amount, a statement's gross.
    pub fn headline_amount(&self) -> Money {
        match self {
            Record::Transaction(t) => t.amount,
            Record::Settlement(s) => s.gross,
            Record::Bank(b) => b.amount,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The written-out clone gives back each value: a known word and one kept as written.
    #[test]
    fn vocabulary_values_clone_to_themselves() {
        for word in [
            "sale", "refund", "void", "approved", "declined", "card", "qr", "mystery",
        ] {
            let (kind, status, channel) = (
                TxType::parse(word),
                Status::parse(word),
                Channel::parse(word),
            );
            assert_eq!(kind.clone(), kind, "{word}");
            assert_eq!(status.clone(), status, "{word}");
            assert_eq!(channel.clone(), channel, "{word}");
            assert_eq!(kind.clone().label(), kind.label(), "{word}");
        }
    }

    #[test]
    fn vocabularies_read_english_and_chinese() {
        assert_eq!(
            TxType::parse("Pre-Auth Completion"),
            TxType::PreauthCompletion
        );
        assert_eq!(TxType::parse("退款"), TxType::Refund);
        assert_eq!(TxType::parse("Express Checkout Payment"), TxType::Sale);
        assert_eq!(TxType::parse("mystery").label(), "mystery");
        assert_eq!(Status::parse("交易成功"), Status::Approved);
        assert_eq!(Status::parse("DECLINED"), Status::Declined);
        assert_eq!(Channel::parse("NATIVE"), Channel::Qr);
        assert_eq!(Channel::parse("visa"), Channel::Card);
        assert_eq!(Direction::parse("贷 Cr"), Some(Direction::Credit));
        assert_eq!(Direction::parse("支出"), Some(Direction::Debit));
        assert_eq!(Direction::parse("不计收支"), Some(Direction::Neutral));
        assert_eq!(Direction::parse("maybe"), None);
    }

    /// A word that meant two values would mean the first one listed, silently.
    #[test]
    fn no_word_means_two_values_of_one_vocabulary() {
        for words in [TxType::WORDS, Status::WORDS, Channel::WORDS] {
            let mut seen = std::collections::HashSet::new();
            for (label, list) in words {
                for word in *list {
                    assert!(seen.insert(*word), "{word:?} of {label} is listed twice");
                }
            }
        }
    }

    /// What gateways and POS exports write for a sale's status, and what the audit makes of it.
    #[test]
    fn gateway_statuses_are_read_by_meaning() {
        let cases = [
            ("captured", Status::Approved),
            ("Paid", Status::Approved),
            ("AUTHORISED", Status::Approved),
            ("authorized", Status::Approved),
            ("SentForSettle", Status::Approved),
            ("submitted_for_settlement", Status::Approved),
            ("Partially Refunded", Status::Approved),
            ("Chargeback", Status::Approved),
            ("已支付", Status::Approved),
            ("TRADE_SUCCESS", Status::Approved),
            ("TRADE_FINISHED", Status::Approved),
            ("processed", Status::Approved),
            ("Refused", Status::Declined),
            ("WAIT_BUYER_PAY", Status::Declined),
            ("TRADE_CLOSED", Status::Voided),
            ("processor_declined", Status::Declined),
            ("NOTPAY", Status::Declined),
            ("未支付", Status::Declined),
            ("USERPAYING", Status::Pending),
            ("Received", Status::Pending),
            ("reversed", Status::Voided),
            ("authorization_expired", Status::Voided),
            ("已冲正", Status::Voided),
            ("refunded", Status::Refunded),
        ];
        for (word, want) in cases {
            assert_eq!(Status::parse(word), want, "{word}");
        }
        assert_eq!(TxType::parse("Auth Only"), TxType::Preauth);
        assert_eq!(TxType::parse("dispute"), TxType::Chargeback);
        assert!(!Status::parse("banana").is_known());
        assert!(!TxType::parse("frobnicate").is_known());
        assert!(Status::parse("captured").is_known());
    }

    /// A pending sale may still settle, and a refunded one did: both are expected to.
    #[test]
    fn pending_and_refunded_sales_went_through() {
        let went: Vec<bool> = [
            "approved", "pending", "refunded", "declined", "voided", "banana",
        ]
        .map(|w| Status::parse(w).went_through())
        .to_vec();
        assert_eq!(went, [true, true, true, false, false, false]);
    }

    #[test]
    fn the_vocabulary_is_described_in_short_words() {
        let status = Status::described();
        assert!(
            status.starts_with("approved (success, paid …), pending (processing, received …)"),
            "{status}"
        );
        assert!(!TxType::described().contains("bankdeposit"));
    }
}
