//! 購入コード (docs/renewal.md): renewal codes in Crockford's base-32 with a check symbol, so a typo
//! is caught before any look-up.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use super::serial::{Product, Serial};
use super::text::normalise;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

fn value_of(symbol: u8) -> Option<u32> {
    ALPHABET.iter().position(|s| *s == symbol).map(|p| p as u32)
}

/// Luhn mod 32 over the data symbols: catches every single wrong symbol and nearly every
/// swap of neighbours.
fn check_symbol(data: &[u8]) -> u8 {
    let mut sum = 0;
    for (i, symbol) in data.iter().rev().enumerate() {
        let factor = if i % 2 == 0 { 2 } else { 1 };
        let addend = factor * value_of(*symbol).expect("alphabet symbol");
        sum += addend / 32 + addend % 32;
    }
    ALPHABET[((32 - sum % 32) % 32) as usize]
}

/// Why a typed code was refused before any look-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeRefusal {
    /// Not 20 symbols of the alphabet (hyphens and spaces aside).
    Format,
    /// Well-formed, but the check symbol does not match: a typo.
    Checksum,
}

/// A renewal code, kept as its 20 symbols; written `XXXXX-XXXXX-XXXXX-XXXXX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RenewalCode(String);

impl RenewalCode {
    /// NFKC, upper case, hyphens and spaces optional, `O`→`0` and `I`/`L`→`1`.
    pub fn parse(input: &str) -> Result<Self, CodeRefusal> {
        let symbols: String = normalise(input)
            .to_uppercase()
            .chars()
            .filter(|c| *c != '-' && !c.is_whitespace())
            .map(|c| match c {
                'O' => '0',
                'I' | 'L' => '1',
                other => other,
            })
            .collect();
        let bytes = symbols.as_bytes();
        if bytes.len() != 20 || !bytes.iter().all(|b| value_of(*b).is_some()) {
            return Err(CodeRefusal::Format);
        }
        if check_symbol(&bytes[..19]) != bytes[19] {
            return Err(CodeRefusal::Checksum);
        }
        Ok(Self(symbols))
    }

    pub fn generate() -> Self {
        let mut data = crate::secret::random_string(ALPHABET, 19).into_bytes();
        data.push(check_symbol(&data));
        Self(String::from_utf8(data).expect("ASCII"))
    }

    /// The storage key: the 20 symbols without hyphens.
    pub fn key(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for RenewalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let groups: Vec<&str> = (0..4).map(|i| &self.0[i * 5..i * 5 + 5]).collect();
        f.write_str(&groups.join("-"))
    }
}

impl Serialize for RenewalCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Reads a stored code as written (see `string_newtype`): only the hyphens `Display` adds
/// are taken out, never the rules of `parse` applied again.
impl<'de> Deserialize<'de> for RenewalCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Ok(Self(raw.replace('-', "")))
    }
}

/// The stored code: what it renews, and whether it has been redeemed.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CodeRecord {
    pub code: RenewalCode,
    pub product: Product,
    pub term_months: u32,
    pub created_at: Timestamp,
    pub redeemed: Option<Redemption>,
    pub version: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Redemption {
    pub serial: Serial,
    pub at: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_parse_in_any_typed_form() {
        for _ in 0..200 {
            let code = RenewalCode::generate();
            let written = code.to_string();
            assert_eq!(written.len(), 23);
            assert_eq!(RenewalCode::parse(&written), Ok(code.clone()));
            assert_eq!(
                RenewalCode::parse(&written.to_lowercase().replace('-', " ")),
                Ok(code.clone())
            );
            let wide: String = written
                .chars()
                .map(|c| char::from_u32(c as u32 - 0x21 + 0xFF01).unwrap())
                .collect();
            assert_eq!(RenewalCode::parse(&wide), Ok(code.clone()));
            let read_as_letters = written.replace('0', "O").replace('1', "l");
            assert_eq!(RenewalCode::parse(&read_as_letters), Ok(code));
        }
    }

    #[test]
    fn every_single_wrong_symbol_is_a_checksum_mismatch() {
        let code = RenewalCode::generate().to_string();
        for position in (0..23).filter(|p| p % 6 != 5) {
            for replacement in ALPHABET.iter().map(|b| *b as char) {
                let mut typed: Vec<char> = code.chars().collect();
                if typed[position] == replacement {
                    continue;
                }
                typed[position] = replacement;
                let typed: String = typed.into_iter().collect();
                assert_eq!(
                    RenewalCode::parse(&typed),
                    Err(CodeRefusal::Checksum),
                    "{typed}"
                );
            }
        }
    }

    #[test]
    fn malformed_codes_are_format_errors() {
        for bad in [
            "",
            "ABCDE",
            "ABCDE-FGHJK-MNPQR-STVWX-Y",
            "UUUUU-UUUUU-UUUUU-UUUUU",
            "ABCDE_FGHJK_MNPQR_STVWX",
        ] {
            assert_eq!(RenewalCode::parse(bad), Err(CodeRefusal::Format), "{bad}");
        }
    }
}
