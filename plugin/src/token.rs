//! JaaS join tokens and addresses, exactly as 8x8 expects them.
//!
//! The component writes the claims; the host adds the RS256 header and signs, so the
//! private key never enters the component.

use crate::prelude::*;

use crate::error::{MeetError, Result};
use crate::host::Host;
use crate::model::{DisplayMode, Embed, Instant, JaasConfig, JoinTicket, SECOND, User};
use serde::Serialize;

/// Seconds subtracted from `nbf`: Jitsi allows no clock skew, 8x8's samples use ten.
const NOT_BEFORE_LEEWAY_SECS: i64 = 10;

/// A token's claims, serialised straight to JSON (no intermediate tree).
#[derive(Serialize)]
pub struct Claims<'a> {
    aud: &'static str,
    iss: &'static str,
    sub: &'a str,
    room: String,
    nbf: i64,
    exp: i64,
    context: ClaimsContext<'a>,
}

#[derive(Serialize)]
struct ClaimsContext<'a> {
    user: ClaimsUser<'a>,
    features: Features,
}

#[derive(Serialize)]
struct ClaimsUser<'a> {
    id: &'a str,
    name: &'a str,
    avatar: &'a str,
    email: &'a str,
    moderator: &'static str,
}

/// Every feature a JaaS token may carry, set explicitly: missing means "default", not
/// "off". Recording is decided per user and licence; chat, polls and file upload are
/// for everyone; calls, streaming and transcription for no one.
#[derive(Serialize)]
#[serde(rename_all = "kebab-case")]
struct Features {
    livestreaming: &'static str,
    recording: &'static str,
    transcription: &'static str,
    outbound_call: &'static str,
    sip_outbound_call: &'static str,
    inbound_call: &'static str,
    sip_inbound_call: &'static str,
    file_upload: &'static str,
    list_visitors: &'static str,
    send_groupchat: &'static str,
    create_polls: &'static str,
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

/// The claims of a token for `grant`, valid from `now` for the configured lifetime, and
/// when it expires.
pub fn claims<'a>(config: &'a JaasConfig, grant: &Grant<'a>, now: Instant) -> (Claims<'a>, Instant) {
    let now_secs = now.div_euclid(SECOND);
    let exp = now_secs + i64::from(config.token_ttl_secs.max(1));
    let user = grant.user;
    let claims = Claims {
        aud: "jitsi",
        iss: "chat",
        sub: &config.app_id,
        room: grant.room.to_ascii_lowercase(),
        nbf: now_secs - NOT_BEFORE_LEEWAY_SECS,
        exp,
        context: ClaimsContext {
            user: ClaimsUser {
                id: &user.id,
                name: &user.name,
                avatar: user.avatar.as_deref().unwrap_or_default(),
                email: &user.email,
                moderator: flag(grant.moderator),
            },
            features: Features {
                livestreaming: "false",
                recording: flag(grant.recording),
                transcription: "false",
                outbound_call: "false",
                sip_outbound_call: "false",
                inbound_call: "false",
                sip_inbound_call: "false",
                file_upload: "true",
                list_visitors: "false",
                send_groupchat: "true",
                create_polls: "true",
            },
        },
    };
    (claims, exp * SECOND)
}

/// How every meeting opens: at once, without JaaS's pre-join page, with camera and
/// microphone on. Written for the address (settings the JaaS web client reads from the
/// fragment beside the token) and for the external API's `configOverwrite`.
const START_AT_ONCE_IN_ADDRESS: &str =
    "&config.prejoinConfig.enabled=false&config.startWithAudioMuted=false&config.startWithVideoMuted=false";
const START_AT_ONCE_OVERWRITE: &str =
    r#"{"prejoinConfig":{"enabled":false},"startWithAudioMuted":false,"startWithVideoMuted":false}"#;

/// The room's address without a token.
pub fn room_address(config: &JaasConfig, room: &str) -> String {
    format!("https://{}/{}/{}", config.domain, config.app_id, room)
}

/// Signs a token for `grant` through the host and builds the ticket.
pub fn issue(host: &dyn Host, grant: Grant<'_>) -> Result<JoinTicket> {
    let config = host.jaas();
    let (claims, expires_at) = claims(&config, &grant, host.now());
    let token = host
        .sign_jaas_token(&serde_json::to_string(&claims).cannot_fail("claims serialise"))
        .map_err(|e| MeetError::HostFailure(format!("the host could not sign the token: {e}")))?;
    Ok(JoinTicket {
        meeting_id: grant.meeting_id.to_string(),
        room: grant.room.to_string(),
        address: format!("{}#jwt={token}{START_AT_ONCE_IN_ADDRESS}", room_address(&config, grant.room)),
        token,
        expires_at,
        moderator: grant.moderator,
        recording_allowed: grant.recording,
        display: grant.display,
        embed: Embed {
            domain: config.domain.clone(),
            room_name: format!("{}/{}", config.app_id, grant.room),
            script_url: format!("https://{}/{}/external_api.js", config.domain, config.app_id),
            config_overwrite: START_AT_ONCE_OVERWRITE.into(),
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
        let config = config();
        let (c, exp) = claims(&config, &grant, 1_700_000_000_500);
        let c: serde_json::Value = serde_json::to_value(&c).unwrap();
        assert_eq!(c["aud"], "jitsi");
        assert_eq!(c["iss"], "chat");
        assert_eq!(c["sub"], config.app_id);
        assert_eq!(c["room"], "roomx");
        assert_eq!(c["nbf"], 1_700_000_000 - 10);
        assert_eq!(c["exp"], 1_700_000_000 + 3600);
        assert_eq!(exp, (1_700_000_000 + 3600) * 1000);
        assert_eq!(c["context"]["user"]["moderator"], "true");
        let features = c["context"]["features"].as_object().unwrap();
        assert_eq!(features.len(), 11);
        assert!(features.contains_key("sip-outbound-call") && features.contains_key("send-groupchat"));
        assert_eq!(features["recording"], "false");
        assert!(features.values().all(|v| v == "true" || v == "false"));
    }
}
