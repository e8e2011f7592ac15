//! What a platform's world may call someone: the names its users, staff, contacts and
//! companies are shown by, in bells, panels, mails and the meeting itself (JaaS shows
//! the token's name to everyone in the room).

use crate::InputError;

/// The longest name a world may give, as the overview takes for a guest's name.
const MAX_NAME: usize = 200;

/// Refuses a name that would show as nothing, break a line of a panel, a bell or a mail
/// header, or overflow them: `what` says whose it is.
pub(crate) fn check(what: &str, name: &str) -> Result<(), InputError> {
    let why = if name.trim().is_empty() {
        "is empty"
    } else if name.chars().any(char::is_control) {
        "has a line break, tab or other control character"
    } else if name.chars().count() > MAX_NAME {
        "is longer than 200 characters"
    } else {
        return Ok(());
    };
    Err(InputError::Invalid(format!("the name of {what} {why}")))
}

/// Refuses an id no one could type or that would run into the text around it: empty,
/// or with spaces or control characters. `what` says whose it is ("user", "client").
pub(crate) fn check_id(what: &str, id: &str) -> Result<(), InputError> {
    if id.is_empty() {
        return Err(InputError::Invalid(format!("a {what} has an empty id")));
    }
    if id.chars().any(|c| c.is_whitespace() || c.is_control()) || id.chars().count() > MAX_NAME {
        return Err(InputError::Invalid(format!(
            "the {what} id {id:?} must be one word of at most 200 characters"
        )));
    }
    Ok(())
}

/// Checks a person of a world file: their id, name and e-mail address. `what` says who
/// they are ("user", "staff member", "contact").
pub(crate) fn check_person(what: &str, id: &str, name: &str, email: &str) -> Result<(), InputError> {
    check_id(what, id)?;
    let whose = format!("{what} {id}");
    check(&whose, name)?;
    check_email(&whose, email)
}

/// Refuses an e-mail address that could not be one (the token shows it to JaaS, mails go
/// to it); none at all is allowed. `what` says whose it is.
pub(crate) fn check_email(what: &str, email: &str) -> Result<(), InputError> {
    let plausible = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty() && !domain.contains('@'))
        && !email.contains(|c: char| c.is_whitespace() || c.is_control() || "\",;:<>()[]\\".contains(c));
    if email.is_empty() || plausible {
        Ok(())
    } else {
        Err(InputError::Invalid(format!("the e-mail address {email:?} of {what} is not an e-mail address")))
    }
}

#[cfg(test)]
mod tests {
    use super::{check, check_email, check_id};

    #[test]
    fn ids_and_addresses_people_type_pass_and_others_are_refused() {
        assert!(check_id("user", "ana.petrova").is_ok());
        for id in ["", "ana petrova", "ana\n"] {
            assert!(check_id("user", id).is_err(), "{id:?}");
        }
        for email in ["", "ana@northwind.example", "a+b@x"] {
            assert!(check_email("user ana", email).is_ok(), "{email}");
        }
        for email in ["nope", "@x.org", "a@", "a@b@c", "a b@x.org", "a,b@x.org"] {
            let e = check_email("user ana", email).unwrap_err().to_string();
            assert!(e.contains("user ana"), "{e}");
        }
    }

    #[test]
    fn names_people_read_pass_and_others_are_refused() {
        for name in ["Chloé Martin", "Acme Ltd.", "李小龙", &"a".repeat(200)] {
            assert!(check("user x", name).is_ok(), "{name}");
        }
        for (name, why) in
            [("", "empty"), ("  ", "empty"), ("Ann\nLee", "line break"), (&"a".repeat(201), "longer")]
        {
            let e = check("user x", name).unwrap_err().to_string();
            assert!(e.contains("user x") && e.contains(why), "{e}");
        }
    }
}
