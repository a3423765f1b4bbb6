//! Ticket numbers: short, readable over the phone, not guessable, and made without a counter.
//!
//! A ticket number is 8 random symbols of Crockford's base32 (no I, L, O or U), shown as
//! `XXXX-XXXX`: 40 random bits, so a town with 100,000 tickets still has a one in ten million
//! chance per guess. Uniqueness comes from a conditional write, not from a hot counter item.

use serde::{Deserialize, Serialize};
use std::fmt;

const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
const SYMBOLS: usize = 8;

/// A validated ticket number in its canonical form `XXXX-XXXX`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TicketId(String);

/// Why a text is not a ticket number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a ticket number (expected 8 letters and digits, like K7QM-3XPR)")]
pub struct InvalidTicketId(String);

/// Where ticket numbers, tokens and object keys get their randomness; tests supply fixed bytes.
pub trait IdSource: Send + Sync {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), getrandom::Error>;
}

/// The operating system's secure random source.
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl IdSource for OsRandom {
    fn fill(&self, bytes: &mut [u8]) -> Result<(), getrandom::Error> {
        getrandom::fill(bytes)
    }
}

/// A random token of 16 bytes, hex: for submission tokens and object keys.
pub fn random_token(source: &dyn IdSource) -> Result<String, getrandom::Error> {
    let mut bytes = [0u8; 16];
    source.fill(&mut bytes)?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl TicketId {
    /// Makes a fresh random ticket number.
    pub fn generate(source: &dyn IdSource) -> Result<Self, getrandom::Error> {
        let mut bytes = [0u8; 5];
        source.fill(&mut bytes)?;
        let bits = bytes.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let symbols: String =
            (0..SYMBOLS).rev().map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize])).collect();
        Ok(Self(format!("{}-{}", &symbols[..4], &symbols[4..])))
    }

    /// Reads a ticket number as a person may type or say it: any case, with or without the
    /// dash or spaces, O for 0 and I or L for 1.
    pub fn parse(text: &str) -> Result<Self, InvalidTicketId> {
        let mut symbols = String::with_capacity(SYMBOLS);
        for c in text.chars() {
            let c = match c.to_ascii_uppercase() {
                '-' | ' ' => continue,
                'O' => '0',
                'I' | 'L' => '1',
                c if c.is_ascii() && ALPHABET.contains(&(c as u8)) => c,
                _ => return Err(InvalidTicketId(text.to_owned())),
            };
            symbols.push(c);
        }
        if symbols.len() != SYMBOLS {
            return Err(InvalidTicketId(text.to_owned()));
        }
        Ok(Self(format!("{}-{}", &symbols[..4], &symbols[4..])))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TicketId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl TryFrom<String> for TicketId {
    type Error = InvalidTicketId;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<TicketId> for String {
    fn from(id: TicketId) -> Self {
        id.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Fixed([u8; 5]);
    impl IdSource for Fixed {
        fn fill(&self, bytes: &mut [u8]) -> Result<(), getrandom::Error> {
            bytes.copy_from_slice(&self.0);
            Ok(())
        }
    }

    #[test]
    fn generated_ids_use_all_forty_bits() {
        assert_eq!(TicketId::generate(&Fixed([0; 5])).unwrap().as_str(), "0000-0000");
        assert_eq!(TicketId::generate(&Fixed([0xff; 5])).unwrap().as_str(), "ZZZZ-ZZZZ");
        assert_eq!(TicketId::generate(&Fixed([0, 0, 0, 0, 33])).unwrap().as_str(), "0000-0011");
    }

    #[test]
    fn generated_ids_differ() {
        let a = TicketId::generate(&OsRandom).unwrap();
        let b = TicketId::generate(&OsRandom).unwrap();
        assert_ne!(a, b);
        assert_eq!(TicketId::parse(a.as_str()).unwrap(), a);
    }

    #[test]
    fn parse_accepts_what_a_caller_reads_out() {
        let id = TicketId::parse("k7qm 3xpr").unwrap();
        assert_eq!(id.as_str(), "K7QM-3XPR");
        assert_eq!(TicketId::parse("K7QM3XPR").unwrap(), id);
        assert_eq!(TicketId::parse("OIL0-0000").unwrap().as_str(), "0110-0000");
    }

    #[test]
    fn parse_rejects_wrong_length_and_symbols() {
        assert!(TicketId::parse("K7QM-3XP").is_err());
        assert!(TicketId::parse("K7QM-3XPRR").is_err());
        assert!(TicketId::parse("K7QM-3XPU").is_err());
        assert!(TicketId::parse("K7QM-3XP!").is_err());
        assert!(TicketId::parse("").is_err());
        assert!(TicketId::parse("ÄÄÄÄ-ÄÄÄÄ").is_err());
    }

    mod properties {
        use super::*;
        use crate::hostile;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn any_text_is_a_canonical_ticket_number_or_refused(text in hostile::text()) {
                if let Ok(id) = TicketId::parse(&text) {
                    prop_assert_eq!(id.as_str().len(), 9);
                    prop_assert_eq!(TicketId::parse(id.as_str()), Ok(id.clone()));
                }
            }

            #[test]
            fn typed_numbers_survive_case_dashes_and_spaces(bits in 0u64..(1 << 40), lower in any::<bool>()) {
                let id = TicketId::generate(&Fixed(bits)).unwrap();
                let typed = if lower { id.as_str().to_lowercase().replace('-', " ") } else { id.as_str().replace('-', "") };
                prop_assert_eq!(TicketId::parse(&typed), Ok(id));
            }
        }

        struct Fixed(u64);

        impl IdSource for Fixed {
            fn fill(&self, bytes: &mut [u8]) -> Result<(), getrandom::Error> {
                let be = self.0.to_be_bytes();
                for (byte, value) in bytes.iter_mut().zip(be.iter().skip(8 - 5)) {
                    *byte = *value;
                }
                Ok(())
            }
        }
    }
}
