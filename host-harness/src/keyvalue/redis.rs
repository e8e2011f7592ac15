//! The shared store for several host processes: Redis. Each key is a hash with its value
//! and version; every change runs as one Lua script on the server, so a compare-and-swap
//! is atomic across every process that shares the server.
//!
//! Layout: `mk:{bucket}:k:{key}` (hash `val`, `ver`), `mk:{bucket}:keys` (sorted set of
//! the bucket's keys, for ordered listing with cursors), `mk:version` (the counter every
//! version comes from, so that versions never repeat).

use super::{KvBackend, Version, Versioned};
use anyhow::{Context as _, Result, bail};
use redis::{Commands as _, Script};
use std::sync::{LazyLock, Mutex};

const VERSION_KEY: &str = "mk:version";

static SET: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local v = redis.call('INCR', KEYS[3])
          redis.call('HSET', KEYS[1], 'val', ARGV[1], 'ver', v)
          redis.call('ZADD', KEYS[2], 0, ARGV[2])
          return v",
    )
});

static SWAP: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local cur = redis.call('HGET', KEYS[1], 'ver')
          if cur == false then cur = '0' end
          if cur ~= ARGV[3] then return 0 end
          local v = redis.call('INCR', KEYS[3])
          redis.call('HSET', KEYS[1], 'val', ARGV[1], 'ver', v)
          redis.call('ZADD', KEYS[2], 0, ARGV[2])
          return 1",
    )
});

static DELETE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"redis.call('DEL', KEYS[1])
          redis.call('ZREM', KEYS[2], ARGV[1])
          return 1",
    )
});

static INCREMENT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local cur = redis.call('HGET', KEYS[1], 'val')
          local n = 0
          if cur then
            n = tonumber(cur)
            if n == nil or string.find(cur, '^-?%d+$') == nil then
              return redis.error_reply('the value is not an integer')
            end
          end
          n = n + tonumber(ARGV[1])
          local v = redis.call('INCR', KEYS[3])
          redis.call('HSET', KEYS[1], 'val', string.format('%d', n), 'ver', v)
          redis.call('ZADD', KEYS[2], 0, ARGV[2])
          return n",
    )
});

/// How long a connection, a command or its answer may take before the call fails.
const IO_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

pub struct RedisBackend {
    url: String,
    client: redis::Client,
    /// Idle connections; a caller takes one and gives it back.
    idle: Mutex<Vec<redis::Connection>>,
}

fn item_key(bucket: &str, key: &str) -> String {
    format!("mk:{bucket}:k:{key}")
}

fn index_key(bucket: &str) -> String {
    format!("mk:{bucket}:keys")
}

impl RedisBackend {
    /// Connects to `url` (`redis://host:port/db`) and checks the server answers.
    pub fn open(url: &str) -> Result<Self> {
        let client = redis::Client::open(url).with_context(|| format!("{url} is not a Redis address"))?;
        let backend = RedisBackend { url: url.to_string(), client, idle: Mutex::new(Vec::new()) };
        backend.with(|c| redis::cmd("PING").query::<String>(c))?;
        Ok(backend)
    }

    fn with<R>(&self, f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<R>) -> Result<R> {
        let pooled = self.idle.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(c) => c,
            None => {
                // A Redis that stops answering (paused, or a network that drops packets)
                // fails a call after these, as SQLite gives up on a lock after 10 s,
                // rather than hang it and the server's health check with it.
                let conn =
                    self.client.get_connection_with_timeout(IO_TIMEOUT).map_err(|e| self.failure(e))?;
                conn.set_read_timeout(Some(IO_TIMEOUT)).map_err(|e| self.failure(e))?;
                conn.set_write_timeout(Some(IO_TIMEOUT)).map_err(|e| self.failure(e))?;
                conn
            }
        };
        let result = f(&mut conn);
        // A connection that failed at the I/O level is dropped, not reused.
        if !matches!(&result, Err(e) if does_not_answer(e)) {
            self.idle.lock().unwrap_or_else(|p| p.into_inner()).push(conn);
        }
        result.map_err(|e| self.failure(e))
    }

    /// A Redis error said once, with the server it came from: the error's own text
    /// already holds its I/O cause, which a chain of causes would repeat.
    fn failure(&self, e: redis::RedisError) -> anyhow::Error {
        if does_not_answer(&e) {
            anyhow::anyhow!("Redis at {} does not answer: {e}", self.url)
        } else {
            anyhow::anyhow!("Redis at {}: {e}", self.url)
        }
    }
}

/// Whether `e` failed at the connection (refused, dropped, timed out: all I/O), rather
/// than in a command the server answered.
fn does_not_answer(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

impl KvBackend for RedisBackend {
    fn get(&self, bucket: &str, key: &str) -> Result<Option<Vec<u8>>> {
        self.with(|c| c.hget(item_key(bucket, key), "val"))
    }

    fn set(&self, bucket: &str, key: &str, value: &[u8]) -> Result<()> {
        self.with(|c| {
            SET.key(item_key(bucket, key))
                .key(index_key(bucket))
                .key(VERSION_KEY)
                .arg(value)
                .arg(key)
                .invoke::<i64>(c)
        })?;
        Ok(())
    }

    fn delete(&self, bucket: &str, key: &str) -> Result<()> {
        self.with(|c| DELETE.key(item_key(bucket, key)).key(index_key(bucket)).arg(key).invoke::<i64>(c))?;
        Ok(())
    }

    fn exists(&self, bucket: &str, key: &str) -> Result<bool> {
        self.with(|c| c.exists(item_key(bucket, key)))
    }

    fn list_keys(
        &self,
        bucket: &str,
        cursor: Option<&str>,
        limit: usize,
    ) -> Result<(Vec<String>, Option<String>)> {
        let start = match cursor {
            Some(c) => format!("({c}"),
            None => "-".to_string(),
        };
        let keys: Vec<String> = self.with(|c| {
            redis::cmd("ZRANGEBYLEX")
                .arg(index_key(bucket))
                .arg(&start)
                .arg("+")
                .arg("LIMIT")
                .arg(0)
                .arg(limit + 1)
                .query(c)
        })?;
        Ok(super::page(keys, limit))
    }

    fn read_versioned(&self, bucket: &str, key: &str) -> Result<Versioned> {
        let (value, version): (Option<Vec<u8>>, Option<u64>) =
            self.with(|c| redis::cmd("HMGET").arg(item_key(bucket, key)).arg("val").arg("ver").query(c))?;
        Ok(match (value, version) {
            (Some(value), Some(version)) => Versioned { value: Some(value), version: version as Version },
            (None, None) => Versioned { value: None, version: 0 },
            _ => bail!("the Redis entry of {key} is incomplete"),
        })
    }

    fn swap(&self, bucket: &str, key: &str, expected: Version, value: &[u8]) -> Result<bool> {
        let done: i64 = self.with(|c| {
            SWAP.key(item_key(bucket, key))
                .key(index_key(bucket))
                .key(VERSION_KEY)
                .arg(value)
                .arg(key)
                .arg(expected.to_string())
                .invoke(c)
        })?;
        Ok(done == 1)
    }

    fn increment(&self, bucket: &str, key: &str, delta: i64) -> Result<i64> {
        self.with(|c| {
            INCREMENT
                .key(item_key(bucket, key))
                .key(index_key(bucket))
                .key(VERSION_KEY)
                .arg(delta)
                .arg(key)
                .invoke(c)
        })
    }

    fn describe(&self) -> String {
        self.url.clone()
    }
}
