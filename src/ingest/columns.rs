//! Canonical fields, their header aliases in English and Chinese, and binding a header row to them.
//!
//! Headers are compared after `normalize`: case-, space-, underscore- and width-insensitive, so
//! `Gross Debit (GC)`, `gross_debit(gc)` and `交易金额（收入）` find their field. When several
//! headers name the same field, the alias listed first wins and the others stay unmapped.

use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::sync::LazyLock;

macro_rules! fields {
    ($($(#[$doc:meta])* $variant:ident = $name:literal: [$($alias:literal),* $(,)?]),* $(,)?) => {
        /// A canonical field a column can feed.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub enum Field { $($(#[$doc])* $variant,)* }

        impl Field {
            pub const ALL: &'static [Field] = &[$(Field::$variant,)*];

            /// The stable snake_case name used in config files and JSON.
            pub fn name(self) -> &'static str {
                match self { $(Field::$variant => $name,)* }
            }

            /// Header names that mean this field, best first.
            pub fn aliases(self) -> &'static [&'static str] {
                match self { $(Field::$variant => &[$name, $($alias),*],)* }
            }
        }
    };
}

fields! {
    /// Date and time in one cell (or a date alone).
    Timestamp = "timestamp": ["datetime", "date time", "transaction time", "transaction datetime",
        "txn_time", "txn_date", "trans time", "created", "created_utc", "created (utc)", "creation date",
        "交易时间", "记账时间", "交易日期时间", "支付时间", "付款时间", "时间"],
    /// Date alone; combined with `time` when both exist.
    Date = "date": ["transaction date", "trans date", "date posted", "posting date", "posted date",
        "fecha", "交易日期", "记账日期", "日期"],
    /// Time of day alone.
    Time = "time": ["hora", "transaction time of day"],
    /// A zone or offset per row (Adyen, PayPal).
    TimeZone = "timezone": ["time zone", "zona horaria", "时区"],
    SettleDate = "settle_date": ["settlement date", "settle date", "settled date", "available_on_utc",
        "available on", "booking date", "value date", "清算日期", "结算日期", "入账日期", "清算日", "结算日"],
    MerchantId = "merchant_id": ["merchant id", "mid", "merchant no", "merchant number", "merchant account",
        "商户号", "商户编号", "商户代码", "商户编码"],
    TerminalId = "terminal_id": ["terminal", "terminal id", "tid", "terminal no", "terminal number",
        "device id", "终端号", "终端编号", "终端代码", "设备号"],
    TraceNo = "trace_no": ["trace", "trace no", "trace number", "voucher no", "voucher number", "stan",
        "凭证号", "凭证编号", "终端流水号", "pos流水号"],
    Batch = "batch": ["batch_id", "batch no", "batch number", "批次号", "批次"],
    Reference = "reference": ["rrn", "reference no", "reference number", "retrieval reference number",
        "psp reference", "参考号", "系统参考号", "检索参考号"],
    TxnId = "txn_id": ["transaction id", "transaction_id", "balance_transaction_id", "id",
        "id. de transacción", "微信订单号", "交易订单号", "交易单号", "交易流水号", "资金流水单号", "流水号"],
    OrderId = "order_id": ["order id", "order no", "order number", "merchant reference", "merchant order id",
        "invoice number", "invoice id", "id. de factura", "商户订单号", "商家订单号", "商户单号", "业务凭证号"],
    Card = "card": ["card number", "card no", "pan", "masked pan", "card_number", "first bank card",
        "卡号", "交易卡号", "银行卡号", "借记卡号"],
    /// The card's scheme, variant or funding (`visa`, `mccredit`, `debit`, 借记卡), kept as
    /// written: a fee contract may differ by it. Not 借贷 or 借贷标志, a bank statement's
    /// direction.
    CardType = "card_type": ["card type", "card brand", "card scheme", "scheme", "brand",
        "payment method variant", "card funding", "funding", "卡类型", "卡种", "卡类别", "卡别",
        "卡性质", "借贷记标识"],
    Amount = "amount": ["transaction amount", "txn amount", "billing amount", "amount (cny)", "交易金额",
        "金额", "金额(元)", "收支金额(元)", "交易金额(元)", "发生额"],
    Debit = "debit": ["debit amount", "withdrawal", "withdrawals", "money out", "paid out", "记账金额(支出)",
        "交易金额(支出)", "支出金额", "借方金额", "借方发生额", "支出"],
    Credit = "credit": ["credit amount", "deposit", "deposits", "money in", "paid in", "记账金额(收入)",
        "交易金额(收入)", "收入金额", "贷方金额", "贷方发生额", "存入"],
    Direction = "direction": ["dr/cr", "debit/credit", "收/支", "收支类型", "收支", "借贷", "借贷标志",
        "借贷方向", "资金流向"],
    Currency = "currency": ["ccy", "currency code", "gross currency", "net currency", "billing currency",
        "divisa", "moneda", "币种", "币别", "货币", "货币种类", "记账币种", "交易币种"],
    Type = "type": ["transaction type", "txn type", "trans type", "reporting_category", "交易类型", "业务类型",
        "交易分类", "业务名称", "descripción", "description type"],
    Status = "status": ["state", "transaction status", "txn status", "result", "交易状态", "当前状态", "状态"],
    Channel = "channel": ["payment method", "payment channel", "pay channel", "渠道", "交易渠道", "支付渠道"],
    City = "city": ["location", "place", "transaction city", "城市", "交易城市", "所在城市"],
    Gross = "gross": ["gross amount", "bruto", "应结订单金额", "交易本金", "订单金额"],
    GrossDebit = "gross_debit": ["gross debit (gc)", "gross debit"],
    GrossCredit = "gross_credit": ["gross credit (gc)", "gross credit"],
    /// A fee, or one part of it: several fee columns (Adyen's commission, markup, scheme fees,
    /// interchange) are added up.
    Fee = "fee": ["fees", "fee amount", "commission", "commission (nc)", "markup (nc)", "scheme fees (nc)",
        "interchange (nc)", "mdr", "comisión", "手续费", "手续费(元)"],
    Net = "net": ["net amount", "neto", "settlement amount", "结算金额", "清算金额", "入账金额", "净额"],
    NetDebit = "net_debit": ["net debit (nc)", "net debit"],
    NetCredit = "net_credit": ["net credit (nc)", "net credit"],
    Description = "description": ["memo", "narrative", "details", "摘要", "交易摘要", "附言", "交易附言", "对手信息",
        "交易对方", "商品", "商品说明"],
    /// Recognised so that a bank statement is told apart; never parsed.
    Balance = "balance": ["saldo", "余额", "本次余额", "联机余额", "账户结余(元)", "账户余额"],
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Field {
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.iter().copied().find(|f| f.name() == name)
    }

    /// Fields that may be fed by several columns at once (added up).
    fn multi(self) -> bool {
        self == Field::Fee
    }

    /// Fields whose lesser-ranked columns are kept as fallbacks (Adyen's gross, then net currency).
    fn fallbacks(self) -> bool {
        self == Field::Currency
    }
}

/// Folds a header cell to the form aliases are compared in.
pub fn normalize(header: &str) -> String {
    let cleaned = super::cell::clean(header);
    cleaned
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '_' | '-' | '.' | '`' | '"'))
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c,
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// Every alias, normalized once: normalized header → (field, rank of the alias, 0 is best).
static ALIASES: LazyLock<HashMap<String, (Field, usize)>> = LazyLock::new(|| {
    let mut map = HashMap::new();
    for &f in Field::ALL {
        for (rank, alias) in f.aliases().iter().enumerate() {
            map.entry(normalize(alias)).or_insert((f, rank));
        }
    }
    map
});

/// For a normalized header: the field it names and the alias's rank (0 is best).
pub fn lookup(normalized: &str) -> Option<(Field, usize)> {
    ALIASES.get(normalized).copied()
}

/// For a header no alias names: a guess at its field from the words in it (`Settle Dt`,
/// `Payout Amt`), for the mapping an error message suggests. `None` when nothing tells.
pub fn guess(header: &str) -> Option<Field> {
    let lower = super::cell::clean(header).to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    // Whole words for short English keys, parts of the text for others; the first rule that holds
    // wins, so "Settle Dt" is a settlement date and "Payout Amt" a net before either is a date
    // or an amount.
    let has = |keys: &[&str]| {
        keys.iter().any(|k| match k.is_ascii() && k.len() <= 3 {
            true => words.contains(k),
            false => lower.contains(k),
        })
    };
    let dated = has(&["date", "dt", "day", "日期", "日"]);
    // A card's type before its number: "Card Brand Name" or "卡类别代码" is no card number.
    let card_type = has(&[
        "brand",
        "scheme",
        "funding",
        "卡类",
        "卡种",
        "卡性质",
        "借贷记",
    ]) || has(&["card", "卡"])
        && has(&["type", "kind", "category", "class", "variant"])
        || has(&["method", "payment"]) && has(&["variant"]);
    let rules: [(bool, Field); 20] = [
        (
            has(&["settle", "value", "booking", "清算", "结算"]) && dated,
            Field::SettleDate,
        ),
        (
            has(&["fee", "charge", "commission", "mdr", "手续费"]),
            Field::Fee,
        ),
        (has(&["net", "payout", "结算", "入账"]), Field::Net),
        (has(&["gross", "本金"]), Field::Gross),
        (has(&["ref", "rrn", "reference", "参考"]), Field::Reference),
        (
            has(&["terminal", "tid", "device", "终端"]),
            Field::TerminalId,
        ),
        (has(&["merchant", "mid", "商户"]), Field::MerchantId),
        (card_type, Field::CardType),
        (has(&["card", "pan", "卡号"]), Field::Card),
        (has(&["batch", "批次"]), Field::Batch),
        (has(&["trace", "stan", "voucher", "凭证"]), Field::TraceNo),
        (has(&["order", "invoice", "订单"]), Field::OrderId),
        (has(&["currency", "ccy", "币"]), Field::Currency),
        (has(&["status", "state", "result", "状态"]), Field::Status),
        (has(&["type", "kind", "类型"]), Field::Type),
        (has(&["channel", "method", "渠道"]), Field::Channel),
        (has(&["amount", "amt", "sum", "金额"]), Field::Amount),
        (dated || has(&["time", "时间"]), Field::Timestamp),
        (has(&["city", "location", "城市"]), Field::City),
        (has(&["id", "txn", "transaction", "流水"]), Field::TxnId),
    ];
    rules.into_iter().find(|(holds, _)| *holds).map(|(_, f)| f)
}

/// How many cells of a row look like column names: the header detector's score.
pub fn header_score<S: AsRef<str>>(cells: impl Iterator<Item = S>) -> usize {
    let mut seen = Vec::new();
    for cell in cells {
        if let Some((f, _)) = lookup(&normalize(cell.as_ref()))
            && (!seen.contains(&f) || f.multi())
        {
            seen.push(f);
        }
    }
    seen.len()
}

/// Which column feeds which field, for one file.
#[derive(Debug, Clone, Default)]
pub struct ColumnMap {
    /// Field → column indexes (several only for multi-column fields such as fees).
    by_field: BTreeMap<Field, Vec<usize>>,
    pub headers: Vec<String>,
    /// The best column per field, indexed by `field as usize`: looked up for every cell.
    first: Vec<Option<usize>>,
}

/// A header row that cannot be bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MapError {
    Duplicate(String),
}

/// The config's mapping (field → the headers that mean it) as it fits one header row: each
/// field's first header that the row has. Fields none of whose headers the row has are left
/// out, and returned apart: one config serves a log and a statement, whose headers differ.
pub fn fitting(
    mapping: &BTreeMap<Field, Vec<String>>,
    headers: &[String],
) -> (BTreeMap<Field, String>, Vec<Field>) {
    let present: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    let (mut fits, mut not) = (BTreeMap::new(), Vec::new());
    for (&field, names) in mapping {
        match names.iter().find(|n| present.contains(&normalize(n))) {
            Some(name) => {
                fits.insert(field, name.clone());
            }
            None => not.push(field),
        }
    }
    (fits, not)
}

impl ColumnMap {
    /// Binds headers to fields: explicit `overrides` (field → header name) first, then aliases.
    /// An override naming a header the row lacks is left out (`fitting` keeps those it has).
    pub fn bind(
        headers: &[String],
        overrides: &BTreeMap<Field, String>,
    ) -> Result<ColumnMap, MapError> {
        let norm: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
        for (i, h) in norm.iter().enumerate() {
            if !h.is_empty() && norm[..i].contains(h) && lookup(h).is_some() {
                return Err(MapError::Duplicate(
                    crate::model::mask_pans(&headers[i]).into_owned(),
                ));
            }
        }
        let mut by_field: BTreeMap<Field, Vec<usize>> = BTreeMap::new();
        let mut taken = vec![false; headers.len()];
        for (&field, header) in overrides {
            let want = normalize(header);
            if let Some(idx) = norm.iter().position(|h| *h == want) {
                by_field.entry(field).or_default().push(idx);
                taken[idx] = true;
            }
        }
        let mut found: BTreeMap<Field, Vec<(usize, usize)>> = BTreeMap::new();
        for (idx, h) in norm.iter().enumerate() {
            if taken[idx] {
                continue;
            }
            let Some((field, rank)) = lookup(h) else {
                continue;
            };
            if !overrides.contains_key(&field) {
                found.entry(field).or_default().push((rank, idx));
            }
        }
        for (field, mut cols) in found {
            if !field.multi() {
                // Best alias first; currency keeps the others as fallbacks for empty cells.
                cols.sort();
                cols.truncate(if field.fallbacks() { cols.len() } else { 1 });
            }
            by_field.insert(field, cols.into_iter().map(|(_, idx)| idx).collect());
        }
        let mut map = ColumnMap {
            by_field,
            headers: headers.to_vec(),
            first: Vec::new(),
        };
        // A file with both a date and a date-time column: the "date-time" one holds the time of
        // day (ABC and BOC write 交易日期 + 交易时间 = `123456`).
        if map.has(Field::Date)
            && map.has(Field::Timestamp)
            && !map.has(Field::Time)
            && let Some(cols) = map.by_field.remove(&Field::Timestamp)
        {
            map.by_field.insert(Field::Time, cols);
        }
        map.first = Field::ALL
            .iter()
            .map(|f| map.by_field.get(f).and_then(|v| v.first().copied()))
            .collect();
        Ok(map)
    }

    pub fn has(&self, field: Field) -> bool {
        self.by_field.contains_key(&field)
    }

    /// The single column feeding `field`, if any.
    pub fn col(&self, field: Field) -> Option<usize> {
        self.first.get(field as usize).copied().flatten()
    }

    /// Every column feeding `field`.
    pub fn cols(&self, field: Field) -> &[usize] {
        self.by_field.get(&field).map_or(&[], Vec::as_slice)
    }

    /// Field name → header text(s), for `inspect`.
    pub fn describe(&self) -> BTreeMap<String, String> {
        self.by_field
            .iter()
            .filter(|(f, _)| **f != Field::Balance)
            .map(|(f, cols)| {
                let names: Vec<String> = cols
                    .iter()
                    .map(|&c| {
                        crate::model::mask_pans(&super::cell::clean(&self.headers[c])).into_owned()
                    })
                    .collect();
                let joiner = if f.fallbacks() { " | " } else { " + " };
                (f.name().to_owned(), names.join(joiner))
            })
            .collect()
    }

    /// Header cells that feed no field.
    pub fn unmapped(&self) -> Vec<String> {
        let used: Vec<usize> = self.by_field.values().flatten().copied().collect();
        self.headers
            .iter()
            .enumerate()
            .filter(|(i, h)| !used.contains(i) && !normalize(h).is_empty())
            .map(|(_, h)| crate::model::mask_pans(&super::cell::clean(h)).into_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn aliases_are_case_space_and_width_insensitive() {
        assert_eq!(
            lookup(&normalize("Gross Debit (GC)")).unwrap().0,
            Field::GrossDebit
        );
        assert_eq!(
            lookup(&normalize("  TERMINAL_ID ")).unwrap().0,
            Field::TerminalId
        );
        assert_eq!(
            lookup(&normalize("交易金额（收入）")).unwrap().0,
            Field::Credit
        );
        assert_eq!(lookup(&normalize("日 志 号")), None);
        assert_eq!(lookup(&normalize("参考号")).unwrap().0, Field::Reference);
        for field in Field::ALL {
            for alias in field.aliases() {
                assert_eq!(
                    lookup(&normalize(alias)).unwrap().0,
                    *field,
                    "alias {alias} is claimed twice"
                );
            }
        }
    }

    #[test]
    fn best_alias_wins_and_fee_parts_add_up() {
        let h = strings(&[
            "交易金额(收入)",
            "交易金额(支出)",
            "记账金额(收入)",
            "记账金额(支出)",
            "记账币种",
            "交易币种",
        ]);
        let m = ColumnMap::bind(&h, &BTreeMap::new()).unwrap();
        assert_eq!(m.col(Field::Credit), Some(2));
        assert_eq!(m.col(Field::Debit), Some(3));
        assert_eq!(m.col(Field::Currency), Some(4));
        let h = strings(&[
            "Commission (NC)",
            "Markup (NC)",
            "Scheme Fees (NC)",
            "Interchange (NC)",
        ]);
        assert_eq!(
            ColumnMap::bind(&h, &BTreeMap::new())
                .unwrap()
                .cols(Field::Fee),
            &[0, 1, 2, 3]
        );
    }

    #[test]
    fn date_plus_datetime_means_time_of_day() {
        let h = strings(&["交易日期", "交易时间", "交易金额"]);
        let m = ColumnMap::bind(&h, &BTreeMap::new()).unwrap();
        assert_eq!(m.col(Field::Time), Some(1));
        assert!(!m.has(Field::Timestamp));
    }

    #[test]
    fn explicit_mapping_wins_and_duplicates_stop() {
        let h = strings(&["Ref", "amount", "when"]);
        let overrides = BTreeMap::from([
            (Field::Reference, "ref".to_string()),
            (Field::Timestamp, "When".to_string()),
        ]);
        let m = ColumnMap::bind(&h, &overrides).unwrap();
        assert_eq!(m.col(Field::Reference), Some(0));
        assert_eq!(m.col(Field::Timestamp), Some(2));
        let elsewhere = BTreeMap::from([(Field::Card, "PAN".to_string())]);
        assert!(!ColumnMap::bind(&h, &elsewhere).unwrap().has(Field::Card));
        let dup = strings(&["amount", "Amount"]);
        assert_eq!(
            ColumnMap::bind(&dup, &BTreeMap::new()).unwrap_err(),
            MapError::Duplicate("Amount".into())
        );
    }

    /// One config maps a log's and a statement's headers: each file takes the entries its
    /// header has, a field's first listed header that it has.
    #[test]
    fn a_mapping_fits_where_the_header_has_the_name() {
        let mapping = BTreeMap::from([
            (Field::Reference, strings(&["rrn", "Ref Number"])),
            (Field::SettleDate, strings(&["Settle Dt"])),
        ]);
        let statement = strings(&["Settle Dt", "Ref Number", "Gross Amt"]);
        let (fits, not) = fitting(&mapping, &statement);
        assert_eq!(fits.get(&Field::Reference).unwrap(), "Ref Number");
        assert_eq!(fits.get(&Field::SettleDate).unwrap(), "Settle Dt");
        assert!(not.is_empty());
        let log = strings(&["timestamp", "RRN", "amount"]);
        let (fits, not) = fitting(&mapping, &log);
        assert_eq!(fits.get(&Field::Reference).unwrap(), "rrn");
        assert_eq!(not, [Field::SettleDate]);
    }

    /// A card type column by the names exports give it; the direction columns of a bank
    /// statement (借贷, 借贷标志) stay directions, and Adyen's payment method stays the channel
    /// beside its variant.
    #[test]
    fn card_type_columns_are_bound_by_their_names() {
        for header in [
            "Card Type",
            "card_brand",
            "Card Scheme",
            "Scheme",
            "Brand",
            "Card Funding",
            "Funding",
            "卡类型",
            "卡种",
            "卡类别",
            "卡别",
            "卡性质",
            "借贷记标识",
        ] {
            let m = ColumnMap::bind(&strings(&["amount", header]), &BTreeMap::new()).unwrap();
            assert_eq!(m.col(Field::CardType), Some(1), "{header}");
        }
        let adyen = strings(&["Psp Reference", "Payment Method", "Payment Method Variant"]);
        let m = ColumnMap::bind(&adyen, &BTreeMap::new()).unwrap();
        assert_eq!(
            (m.col(Field::Channel), m.col(Field::CardType)),
            (Some(1), Some(2))
        );
        for header in ["借贷", "借贷标志"] {
            assert_eq!(lookup(&normalize(header)).unwrap().0, Field::Direction);
        }
        assert_eq!(
            lookup(&normalize("card number")).unwrap().0,
            Field::Card,
            "a card number is no card type"
        );
    }

    #[test]
    fn a_header_no_alias_names_is_guessed_from_its_words() {
        let cases = [
            ("Settle Dt", Some(Field::SettleDate)),
            ("Ref Number", Some(Field::Reference)),
            ("Gross Amt", Some(Field::Gross)),
            ("Charge", Some(Field::Fee)),
            ("Payout Amt", Some(Field::Net)),
            ("Txn Dt", Some(Field::Timestamp)),
            ("Sale Amt", Some(Field::Amount)),
            ("POS Terminal", Some(Field::TerminalId)),
            ("清算日期(T+1)", Some(Field::SettleDate)),
            ("Card Type Code", Some(Field::CardType)),
            ("Card Brand Name", Some(Field::CardType)),
            ("Payment Variant", Some(Field::CardType)),
            ("卡类别代码", Some(Field::CardType)),
            ("Scheme Fee", Some(Field::Fee)),
            ("Card Holder", Some(Field::Card)),
            ("Network", None),
            ("Comments", None),
        ];
        for (header, want) in cases {
            assert_eq!(guess(header), want, "{header}");
        }
    }
}
