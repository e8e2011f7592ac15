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

#[cfg(test)]
mod tests {
    use super::check;

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
