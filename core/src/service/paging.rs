//! Lists read a page at a time (docs/api.md, docs/usage.md): `limit` items (50 unless asked, at most
//! 200), and a `next_cursor` to hand back for the page after, null on the last page.
//!
//! A cursor is the place of the last item read, base64url-encoded: opaque to clients, and
//! only a place. The list it continues is still chosen by the request (the member's own
//! receipts, a serial the member owns), so a forged cursor reads nothing it could not
//! read from the first page.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jiff::Timestamp;

use crate::domain::OrderNo;
use crate::domain::{FieldCode, FieldErrors};
use crate::store::{OrderPlace, ReceiptPlace};

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// A place in one kind of list, as its cursor writes it.
pub trait Place: Sized {
    /// Names the list in the cursor, so that one list's cursor is refused by another.
    const LIST: &'static str;
    fn write(&self) -> String;
    fn read(text: &str) -> Option<Self>;
}

/// A serial's history: the number of an event.
impl Place for u64 {
    const LIST: &'static str = "events";

    fn write(&self) -> String {
        self.to_string()
    }

    fn read(text: &str) -> Option<Self> {
        digits(text)?.parse().ok()
    }
}

/// A member's ledger: when a receipt was filed (ns) and its number.
impl Place for ReceiptPlace {
    const LIST: &'static str = "receipts";

    fn write(&self) -> String {
        format!("{}:{}", self.accepted_at.as_nanosecond(), self.receipt_no)
    }

    fn read(text: &str) -> Option<Self> {
        let (at, receipt_no) = text.split_once(':')?;
        let accepted_at = Timestamp::from_nanosecond(digits(at)?.parse().ok()?).ok()?;
        let number_like = (1..=64).contains(&receipt_no.len())
            && receipt_no
                .bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-');
        number_like.then(|| ReceiptPlace {
            accepted_at,
            receipt_no: receipt_no.to_owned(),
        })
    }
}

/// A list of orders: when an order was placed (ns) and its number.
impl Place for OrderPlace {
    const LIST: &'static str = "orders";

    fn write(&self) -> String {
        format!("{}:{}", self.placed_at.as_nanosecond(), self.order_no)
    }

    fn read(text: &str) -> Option<Self> {
        let (at, order_no) = text.split_once(':')?;
        Some(OrderPlace {
            placed_at: Timestamp::from_nanosecond(digits(at)?.parse().ok()?).ok()?,
            order_no: OrderNo::parse(order_no)?,
        })
    }
}

/// Plain ASCII digits only: `parse` alone would also take a sign.
fn digits(text: &str) -> Option<&str> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then_some(text)
}

/// One page asked for: how many items, and after which place.
#[derive(Debug, Clone)]
pub struct Paging<P> {
    pub limit: usize,
    pub after: Option<P>,
}

impl<P: Place> Paging<P> {
    /// The query's `limit` and `cursor` as given (each absent when not in the query); an
    /// empty cursor asks for the first page. Both fields are checked and reported together.
    pub fn parse(limit: Option<&str>, cursor: Option<&str>) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let limit = errors.check("limit", parse_limit(limit));
        let after = match cursor.filter(|c| !c.is_empty()) {
            Some(cursor) => errors.check("cursor", read_cursor(cursor)).map(Some),
            None => Some(None),
        };
        errors.finish(|| {
            Some(Self {
                limit: limit?,
                after: after?,
            })
        })
    }
}

impl<P> Default for Paging<P> {
    /// The first page, of the default size.
    fn default() -> Self {
        Self {
            limit: DEFAULT_LIMIT,
            after: None,
        }
    }
}

fn parse_limit(raw: Option<&str>) -> Result<usize, FieldCode> {
    let Some(raw) = raw else {
        return Ok(DEFAULT_LIMIT);
    };
    digits(raw.trim())
        .and_then(|d| d.parse::<usize>().ok())
        .filter(|n| (1..=MAX_LIMIT).contains(n))
        .ok_or(FieldCode::InvalidLimit)
}

/// The cursor that continues a list after `place`.
pub fn cursor<P: Place>(place: &P) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}:{}", P::LIST, place.write()))
}

fn read_cursor<P: Place>(cursor: &str) -> Result<P, FieldCode> {
    URL_SAFE_NO_PAD
        .decode(cursor.trim())
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| {
            let place = text.strip_prefix(P::LIST)?.strip_prefix(':')?;
            P::read(place)
        })
        .ok_or(FieldCode::InvalidCursor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_reads_back_as_its_place_and_only_in_its_own_list() {
        let receipt = ReceiptPlace {
            accepted_at: "2026-11-22T00:00:00.123456789Z".parse().unwrap(),
            receipt_no: "R-20261122-7K3M9Q".into(),
        };
        let paging = Paging::<ReceiptPlace>::parse(None, Some(&cursor(&receipt))).unwrap();
        assert_eq!(paging.after, Some(receipt.clone()));
        assert_eq!(paging.limit, DEFAULT_LIMIT);
        assert_eq!(
            Paging::<u64>::parse(Some("3"), Some(&cursor(&41u64)))
                .unwrap()
                .after,
            Some(41)
        );
        for wrong in [
            cursor(&receipt),
            "!!".into(),
            "ZXZlbnRzOi0x".into(),
            cursor(&0u64) + "A",
        ] {
            let refused = Paging::<u64>::parse(None, Some(&wrong)).unwrap_err();
            assert_eq!(refused.0[0].code, FieldCode::InvalidCursor, "{wrong}");
        }
    }

    #[test]
    fn a_limit_is_a_number_from_one_to_two_hundred() {
        for (raw, limit) in [("1", 1), ("200", 200), ("50", 50)] {
            assert_eq!(Paging::<u64>::parse(Some(raw), None).unwrap().limit, limit);
        }
        for raw in [
            "0",
            "201",
            "-1",
            "+5",
            "abc",
            "",
            "1e2",
            "99999999999999999999999",
        ] {
            let refused = Paging::<u64>::parse(Some(raw), None).unwrap_err();
            assert_eq!(refused.0[0].field, "limit", "{raw}");
            assert_eq!(refused.0[0].code, FieldCode::InvalidLimit, "{raw}");
        }
    }
}
