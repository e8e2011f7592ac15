//! What a person types into the overview, checked before anything is kept: lengths,
//! control characters, and a guest's details (an address mail can reach).

use crate::prelude::*;

use crate::error::{Result, invalid};
use crate::overview::Guest;

/// The longest texts a person types into the overview, in characters: room for any real
/// name, address (RFC 5321's 254) or note, not for a pasted document that every
/// listing, e-mail and calendar entry would then carry.
pub(crate) const MAX_NAME: usize = 200;
const MAX_EMAIL: usize = 254;
const MAX_PHONE: usize = 64;
pub(crate) const MAX_DETAILS: usize = 1_000;
pub(crate) const MAX_NOTE: usize = 10_000;

/// Text a person typed: at most `max` characters, and no control characters but line
/// breaks and tabs (an escape sequence or a bell would reach every mail, page and
/// calendar entry that shows it, and a calendar file may not carry them).
pub(crate) fn typed(what: &str, text: &str, max: usize) -> Result<()> {
    if text.chars().count() > max {
        return Err(invalid(format!("{what} is longer than {max} characters")));
    }
    if text.chars().any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t')) {
        return Err(invalid(format!("{what} contains control characters")));
    }
    Ok(())
}

/// Characters that show nothing: zero-width spaces and joiners, direction marks, the
/// soft hyphen, the byte-order mark. A text of nothing else looks empty wherever shown.
fn invisible(c: char) -> bool {
    matches!(c, '\u{ad}' | '\u{34f}' | '\u{180e}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}')
}

/// Marks that turn the text after them around, or embed it in another direction, up to
/// the end of the line (a name `Ida \u{202e}live` shows as `Ida evil`), and line and
/// paragraph separators, which split a line where no line break is seen.
fn turns_lines(c: char) -> bool {
    matches!(c, '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

pub(crate) fn require_text(what: &str, text: &str, max: usize) -> Result<String> {
    let t = text.trim();
    if !t.chars().any(|c| !c.is_whitespace() && !invisible(c)) {
        return Err(invalid(format!("{what} is required")));
    }
    typed(what, t, max)?;
    Ok(t.to_string())
}

/// A required text of one line: names, types, addresses (a tab or a line break would
/// break every table and header they are shown in).
pub(crate) fn one_line(what: &str, text: &str, max: usize) -> Result<String> {
    let t = require_text(what, text, max)?;
    single_line(what, &t)?;
    Ok(t)
}

pub(crate) fn single_line(what: &str, text: &str) -> Result<()> {
    if text.contains(|c: char| c.is_control() || turns_lines(c)) {
        return Err(invalid(format!(
            "{what} must be one line of text, without tabs, control characters or marks that turn text around"
        )));
    }
    Ok(())
}

/// Whether mail to `email` can leave for the internet: guests are outside the platform,
/// so their address names a domain (labels joined by dots, as `x.org`, not `x` or
/// `x..org`) and a dot-atom before the `@` (RFC 5322: no leading, trailing or doubled
/// dot). Quoted local parts and address literals are refused: no guest needs them, and
/// a comma, angle bracket or space would end the address in a mail header (`a,b@x.org`
/// is two).
fn deliverable(email: &str) -> bool {
    let Some((local, domain)) = email.rsplit_once('@') else { return false };
    let header_safe =
        |c: char| !c.is_whitespace() && !invisible(c) && !turns_lines(c) && !"\",;:<>()[]\\@".contains(c);
    let dot_atom = |text: &str| text.split('.').all(|atom| !atom.is_empty() && atom.chars().all(header_safe));
    // A label is letters, digits and inner hyphens (any script: the mail system
    // converts an internationalised name).
    let label = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    dot_atom(local) && domain.contains('.') && domain.split('.').all(label)
}

pub(crate) fn check_guest(guest: &Guest) -> Result<Guest> {
    let name = one_line("the guest's name", &guest.name, MAX_NAME)?;
    let email = one_line("the guest's e-mail address", &guest.email, MAX_EMAIL)?;
    if !deliverable(&email) {
        return Err(invalid(format!("\u{201c}{email}\u{201d} is not an e-mail address")));
    }
    // Optional: blank, or nothing that shows, is none given.
    let shows = |p: &&str| p.chars().any(|c| !c.is_whitespace() && !invisible(c));
    let phone = match guest.phone.as_deref().map(str::trim).filter(shows) {
        Some(p) => Some(one_line("the guest's telephone number", p, MAX_PHONE)?),
        None => None,
    };
    Ok(Guest { name, email, phone })
}

#[cfg(test)]
mod tests {
    use super::{deliverable, one_line, require_text};
    use crate::prelude::*;

    #[test]
    fn a_text_shows_something_and_a_line_reads_as_typed() {
        for blank in ["", "  ", "\u{200b}", " \u{feff}\u{200d} "] {
            assert!(require_text("the name", blank, 200).is_err(), "{blank:?}");
        }
        for turned in ["Ida \u{202e}live", "Ida\u{2066}x", "a\u{2028}b", "a\tb"] {
            assert!(one_line("the name", turned, 200).is_err(), "{turned:?}");
        }
        // Names in any script, with the marks that set a name's direction right.
        for name in ["Ida Berg", "\u{5e9}\u{5e8}\u{5d4} Cohen\u{200f}", "José Müller-Ørsted"] {
            assert_eq!(one_line("the name", name, 200).unwrap(), name);
        }
    }

    #[test]
    fn an_address_names_a_reachable_domain_and_a_plain_local_part() {
        for ok in
            ["ida@client.example", "ida.berg+cases@mail.client.example", "ö@bücher.example", "a@x-y.org"]
        {
            assert!(deliverable(ok), "{ok}");
        }
        for bad in [
            "g@ex..com",
            "g@.ex.com",
            "g@ex.com.",
            "g@example",
            "g@-ex.com",
            "g@ex-.com",
            "g@ex_ample.com",
            ".g@ex.com",
            "g.@ex.com",
            "g..h@ex.com",
            "@ex.com",
            "g@",
            "a,b@ex.com",
            "a b@ex.com",
            "<g>@ex.com",
            "g@h@ex.com",
            "g@[192.0.2.1]",
            "\"g\"@ex.com",
            "\u{200b}@ex.com",
        ] {
            assert!(!deliverable(bad), "{bad}");
        }
        let long_label = format!("g@{}.com", "x".repeat(64));
        assert!(!deliverable(&long_label));
    }
}
