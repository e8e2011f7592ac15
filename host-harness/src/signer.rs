//! The host's JaaS signing key: RS256 tokens signed natively with aws-lc, the key never
//! handed to the component.

use anyhow::{Context as _, Result, anyhow, bail};
use aws_lc_rs::encoding::{AsDer, Pkcs8V1Der, PublicKeyX509Der};
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::path::Path;

/// PEM with Unix line ends: the crate's default is CRLF, which a console paste or a
/// `diff` of keys shows as stray characters.
fn to_pem(block: &pem::Pem) -> String {
    pem::encode_config(block, pem::EncodeConfig::new().set_line_ending(pem::LineEnding::LF))
}

/// A JaaS tenant's signing identity.
pub struct Signer {
    app_id: String,
    key_id: String,
    key: KeyPair,
    rng: aws_lc_rs::rand::SystemRandom,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer").field("kid", &self.kid()).finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer from a PKCS#8 PEM private key.
    pub fn from_pem(app_id: &str, key_id: &str, private_pem: &str) -> Result<Self> {
        let block = pem::parse(private_pem).context("the private key is not PEM")?;
        if block.tag() != "PRIVATE KEY" {
            bail!("the private key must be PKCS#8 (\"BEGIN PRIVATE KEY\"), found \"{}\"", block.tag());
        }
        let key = KeyPair::from_pkcs8(block.contents())
            .map_err(|e| anyhow!("the private key is not usable: {e}"))?;
        Ok(Signer {
            app_id: app_id.into(),
            key_id: key_id.into(),
            key,
            rng: aws_lc_rs::rand::SystemRandom::new(),
        })
    }

    /// Loads the PEM key at `path`: a tenant's key, which must be there (a new key would
    /// sign tokens that JaaS rejects).
    pub fn load(app_id: &str, key_id: &str, path: &Path) -> Result<Self> {
        let pem = match std::fs::read_to_string(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(crate::InputError::Invalid(format!(
                    "the JaaS private key {} for key id {key_id:?} does not exist: put the tenant's \
                     PKCS#8 PEM key there (meetkit.toml's `private_key`, relative to the data folder), \
                     or set `key_id = \"{}\"` for a development key made on first use",
                    path.display(),
                    crate::harness::DEVELOPMENT_KEY_ID,
                ))
                .into());
            }
            read => read.with_context(|| format!("reading the JaaS private key {}", path.display()))?,
        };
        Self::from_pem(app_id, key_id, &pem)
            .with_context(|| format!("the JaaS private key {}", path.display()))
    }

    /// Writes a new 4096-bit key, PKCS#8 PEM, at `path`.
    pub fn create_key(path: &Path) -> Result<()> {
        let key = KeyPair::generate(KeySize::Rsa4096).map_err(|_| anyhow!("RSA key generation failed"))?;
        let der: Pkcs8V1Der<'_> = key.as_der().map_err(|_| anyhow!("the key cannot be encoded"))?;
        let pem = to_pem(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()));
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        write_private(path, &pem)
    }

    pub fn app_id(&self) -> &str {
        &self.app_id
    }

    /// The token header's `kid`: `<AppID>/<key id>`.
    pub fn kid(&self) -> String {
        format!("{}/{}", self.app_id, self.key_id)
    }

    /// The public key as PEM (SubjectPublicKeyInfo), for 8x8's console or any verifier.
    pub fn public_key_pem(&self) -> String {
        let der: PublicKeyX509Der<'_> = self.key.public_key().as_der().expect("a public key encodes");
        to_pem(&pem::Pem::new("PUBLIC KEY", der.as_ref().to_vec()))
    }

    /// Signs a token whose claims are the JSON object `claims`.
    pub fn sign(&self, claims: &str) -> Result<String> {
        let parsed: serde_json::Value = serde_json::from_str(claims).context("the claims are not JSON")?;
        if !parsed.is_object() {
            bail!("the claims must be a JSON object");
        }
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT", "kid": self.kid() });
        let mut token = URL_SAFE_NO_PAD.encode(header.to_string());
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(claims));
        let mut signature = vec![0u8; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.rng, token.as_bytes(), &mut signature)
            .map_err(|_| anyhow!("RS256 signing failed"))?;
        token.push('.');
        token.push_str(&URL_SAFE_NO_PAD.encode(signature));
        Ok(token)
    }
}

#[cfg(unix)]
fn write_private(path: &Path, pem: &str) -> Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut f = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    f.write_all(pem.as_bytes())?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, pem: &str) -> Result<()> {
    Ok(std::fs::write(path, pem)?)
}
