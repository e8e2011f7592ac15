//! JaaS join tokens and addresses, exactly as 8x8 expects them.
//!
//! The component writes the claims; the host adds the RS256 header and signs, so the
//! private key never enters the component.

use crate::error::{MeetError, Result};
use crate::host::Host;
use crate::model::{DisplayMode, Embed, Instant, JaasConfig, JoinTicket, SECOND, User};
use serde_json::{Value, json};

/// Seconds subtracted from `nbf`: Jitsi allows no clock skew, 8x8's samples use ten.
const NOT_BEFORE_LEEWAY_SECS: i64 = 10;

/// Every feature a JaaS token may carry. All are set explicitly: missing means
/// "default", not "off".
const FEATURES: [&str; 11] = [
    "livestreaming",
    "recording",
    "transcription",
    "outbound-call",
    "sip-outbound-call",
    "inbound-call",
    "sip-inbound-call",
    "file-upload",
    "list-visitors",
    "send-groupchat",
    "create-polls",
];

/// Features every participant has; recording is decided per user and licence.
fn feature_on(feature: &str, recording: bool) -> bool {
    match feature {
        "recording" => recording,
        "send-groupchat" | "create-polls" | "file-upload" => true,
        _ => false,
    }
}

fn flag(on: bool) -> &'static str {
    if on { "true" } else { "false" }
}

/// Who is admitted and with which rights.
pub struct Grant<'a> {
    pub meeting_id: &'a str,
    pub room: &'a str,
    pub user: &'a User,
    pub moderator: bool,
    pub recording: bool,
    pub display: DisplayMode,
}

/// The claims of a token for `grant`, valid from `now` for the configured lifetime.
pub fn claims(config: &JaasConfig, grant: &Grant<'_>, now: Instant) -> (Value, Instant) {
    let now_secs = now.div_euclid(SECOND);
    let exp = now_secs + i64::from(config.token_ttl_secs.max(1));
    let features: serde_json::Map<String, Value> =
        FEATURES.iter().map(|f| (f.to_string(), Value::from(flag(feature_on(f, grant.recording))))).collect();
    let user = grant.user;
    let claims = json!({
        "aud": "jitsi",
        "iss": "chat",
        "sub": config.app_id,
        "room": grant.room.to_ascii_lowercase(),
        "nbf": now_secs - NOT_BEFORE_LEEWAY_SECS,
        "exp": exp,
        "context": {
            "user": {
                "id": user.id,
                "name": user.name,
                "avatar": user.avatar.clone().unwrap_or_default(),
                "email": user.email,
                "moderator": flag(grant.moderator),
            },
            "features": features,
        },
    });
    (claims, exp * SECOND)
}

/// The room's address without a token.
pub fn room_address(config: &JaasConfig, room: &str) -> String {
    format!("https://{}/{}/{}", config.domain, config.app_id, room)
}

/// Signs a token for `grant` through the host and builds the ticket.
pub fn issue(host: &dyn Host, grant: Grant<'_>) -> Result<JoinTicket> {
    let config = host.jaas();
    let (claims, expires_at) = claims(&config, &grant, host.now());
    let token = host
        .sign_jaas_token(&claims.to_string())
        .map_err(|e| MeetError::HostFailure(format!("the host could not sign the token: {e}")))?;
    Ok(JoinTicket {
        meeting_id: grant.meeting_id.to_string(),
        room: grant.room.to_string(),
        address: format!("{}#jwt={}", room_address(&config, grant.room), token),
        token,
        expires_at,
        moderator: grant.moderator,
        recording_allowed: grant.recording,
        display: grant.display,
        embed: Embed {
            domain: config.domain.clone(),
            room_name: format!("{}/{}", config.app_id, grant.room),
            script_url: format!("https://{}/{}/external_api.js", config.domain, config.app_id),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UserKind;

    fn config() -> JaasConfig {
        JaasConfig {
            app_id: "vpaas-magic-cookie-0123456789abcdef0123456789abcdef".into(),
            domain: "8x8.vc".into(),
            token_ttl_secs: 3600,
        }
    }

    fn user() -> User {
        User {
            id: "u1".into(),
            name: "Ana".into(),
            email: "ana@example.com".into(),
            avatar: None,
            kind: UserKind::Internal,
        }
    }

    #[test]
    fn claims_follow_the_jaas_format() {
        let u = user();
        let grant = Grant {
            meeting_id: "m",
            room: "RoomX",
            user: &u,
            moderator: true,
            recording: false,
            display: DisplayMode::NewWindow,
        };
        let (c, exp) = claims(&config(), &grant, 1_700_000_000_500);
        assert_eq!(c["aud"], "jitsi");
        assert_eq!(c["iss"], "chat");
        assert_eq!(c["sub"], config().app_id);
        assert_eq!(c["room"], "roomx");
        assert_eq!(c["nbf"], 1_700_000_000 - 10);
        assert_eq!(c["exp"], 1_700_000_000 + 3600);
        assert_eq!(exp, (1_700_000_000 + 3600) * 1000);
        assert_eq!(c["context"]["user"]["moderator"], "true");
        let features = c["context"]["features"].as_object().unwrap();
        assert_eq!(features.len(), FEATURES.len());
        assert_eq!(features["recording"], "false");
        assert!(features.values().all(|v| v == "true" || v == "false"));
    }
}
