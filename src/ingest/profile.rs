//! Known export formats: recognised by their header, they fix what a header alone cannot tell
//! (role, currency, time zone, day/month order, a column whose meaning differs from its name).

use super::columns::{Field, normalize};
use super::datetime::DateOrder;
use crate::model::Role;

/// One known format.
#[derive(Debug)]
pub struct Profile {
    /// Stable id, accepted by `--profile`.
    pub id: &'static str,
    pub name: &'static str,
    pub role: Role,
    /// Headers that must all be present for the profile to be recognised.
    signature: &'static [&'static str],
    pub currency: Option<&'static str>,
    pub tz: Option<&'static str>,
    pub date_order: Option<DateOrder>,
    /// Columns whose meaning in this format differs from the generic alias.
    pub columns: &'static [(Field, &'static str)],
    /// A type column whose values are CREDIT / DEBIT gives the sign (BMO).
    pub type_is_direction: bool,
}

const CN: Option<&str> = Some("Asia/Shanghai");
const CNY: Option<&str> = Some("CNY");

const fn p(
    id: &'static str,
    name: &'static str,
    role: Role,
    signature: &'static [&'static str],
) -> Profile {
    Profile {
        id,
        name,
        role,
        signature,
        currency: None,
        tz: None,
        date_order: None,
        columns: &[],
        type_is_direction: false,
    }
}

pub static PROFILES: &[Profile] = &[
    Profile {
        columns: &[(Field::SettleDate, "Booking Date")],
        ..p(
            "adyen-settlement",
            "Adyen settlement details report",
            Role::Settlement,
            &[
                "Psp Reference",
                "Gross Debit (GC)",
                "Gross Credit (GC)",
                "Net Credit (NC)",
                "Batch Number",
            ],
        )
    },
    Profile {
        date_order: Some(DateOrder::Dmy),
        columns: &[(Field::Type, "Descripción")],
        ..p(
            "paypal-es",
            "PayPal statement (Spanish)",
            Role::Settlement,
            &["Fecha", "Bruto", "Comisión", "Neto"],
        )
    },
    Profile {
        columns: &[(Field::Type, "Description")],
        ..p(
            "paypal-statement",
            "PayPal statement",
            Role::Settlement,
            &[
                "Date",
                "Time",
                "Time Zone",
                "Description",
                "Gross",
                "Fee",
                "Net",
                "Transaction ID",
            ],
        )
    },
    p(
        "paypal-activity",
        "PayPal activity download",
        Role::Settlement,
        &[
            "Date",
            "Time",
            "TimeZone",
            "Type",
            "Status",
            "Gross",
            "Fee",
            "Net",
            "Transaction ID",
        ],
    ),
    Profile {
        tz: Some("UTC"),
        ..p(
            "stripe-balance",
            "Stripe balance change report",
            Role::Settlement,
            &[
                "balance_transaction_id",
                "created_utc",
                "reporting_category",
                "gross",
                "fee",
                "net",
            ],
        )
    },
    Profile {
        tz: CN,
        columns: &[(Field::Channel, "交易类型"), (Field::TerminalId, "设备号")],
        ..p(
            "wechatpay-tradebill",
            "WeChat Pay merchant trade bill (交易账单)",
            Role::Settlement,
            &["微信订单号", "商户订单号", "应结订单金额", "交易状态"],
        )
    },
    Profile {
        tz: CN,
        currency: CNY,
        ..p(
            "wechatpay-fundflow",
            "WeChat Pay merchant fund-flow bill (资金账单)",
            Role::Bank,
            &["资金流水单号", "收支类型", "收支金额(元)"],
        )
    },
    Profile {
        tz: CN,
        currency: CNY,
        ..p(
            "wechat-personal",
            "WeChat Pay personal bill (微信支付账单)",
            Role::Transactions,
            &[
                "交易时间",
                "交易类型",
                "交易对方",
                "收/支",
                "金额(元)",
                "交易单号",
                "商户单号",
            ],
        )
    },
    Profile {
        tz: CN,
        currency: CNY,
        ..p(
            "alipay-personal",
            "Alipay personal bill (支付宝交易明细)",
            Role::Transactions,
            &[
                "交易时间",
                "交易分类",
                "交易对方",
                "收/支",
                "金额",
                "交易订单号",
                "商家订单号",
            ],
        )
    },
    Profile {
        tz: CN,
        currency: CNY,
        ..p(
            "jd-personal",
            "JD personal bill (京东交易流水)",
            Role::Transactions,
            &[
                "交易时间",
                "商户名称",
                "交易说明",
                "金额",
                "收/支",
                "交易订单号",
            ],
        )
    },
    Profile {
        tz: CN,
        ..p(
            "boc-debit",
            "Bank of China account statement",
            Role::Bank,
            &["记账日期", "记账时间", "币别", "金额", "余额"],
        )
    },
    Profile {
        tz: CN,
        currency: CNY,
        ..p(
            "abc-debit",
            "Agricultural Bank of China statement",
            Role::Bank,
            &["交易日期", "交易金额", "本次余额", "日志号"],
        )
    },
    Profile {
        tz: CN,
        ..p(
            "cmb-debit",
            "China Merchants Bank statement",
            Role::Bank,
            &["记账日期", "货币", "交易金额", "联机余额"],
        )
    },
    Profile {
        tz: CN,
        currency: CNY,
        ..p(
            "bocom-debit",
            "Bank of Communications statement",
            Role::Bank,
            &["交易日期", "借贷", "交易金额", "余额"],
        )
    },
    Profile {
        tz: CN,
        ..p(
            "icbc-debit",
            "ICBC account statement (明细查询)",
            Role::Bank,
            &["交易日期", "记账金额(收入)", "记账金额(支出)", "记账币种"],
        )
    },
    Profile {
        tz: Some("America/Toronto"),
        currency: Some("CAD"),
        type_is_direction: true,
        ..p(
            "bmo-debit",
            "BMO bank account export",
            Role::Bank,
            &[
                "First Bank Card",
                "Transaction Type",
                "Date Posted",
                "Transaction Amount",
            ],
        )
    },
    Profile {
        tz: Some("Asia/Hong_Kong"),
        date_order: Some(DateOrder::Dmy),
        ..p(
            "hsbc-hk",
            "HSBC Hong Kong account statement",
            Role::Bank,
            &[
                "Date",
                "Description",
                "Billing amount",
                "Billing currency",
                "Balance",
            ],
        )
    },
];

/// The first profile whose signature the header carries.
pub fn recognise(headers: &[String]) -> Option<&'static Profile> {
    let norm: Vec<String> = headers.iter().map(|h| normalize(h)).collect();
    PROFILES
        .iter()
        .find(|p| p.signature.iter().all(|s| norm.contains(&normalize(s))))
}

pub fn by_id(id: &str) -> Option<&'static Profile> {
    PROFILES.iter().find(|p| p.id == id)
}

pub fn ids() -> Vec<&'static str> {
    PROFILES.iter().map(|p| p.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_signatures_are_distinct() {
        let mut ids = ids();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), PROFILES.len());
        for p in PROFILES {
            let headers: Vec<String> = p.signature.iter().map(|s| s.to_string()).collect();
            assert_eq!(
                recognise(&headers).map(|r| r.id),
                Some(p.id),
                "{} is shadowed",
                p.id
            );
        }
    }
}
