//! The host side of `wasi:keyvalue/store` and `wasi:keyvalue/atomics` over a backend.

use super::{KvBackend, Versioned};
use wasmtime::component::{HasData, Linker, Resource, ResourceTable};

pub mod bindings {
    wasmtime::component::bindgen!({
        path: "../wit",
        interfaces: "
            import wasi:keyvalue/store@0.2.0-draft2;
            import wasi:keyvalue/atomics@0.2.0-draft2;
        ",
        with: {
            "wasi:keyvalue/store.bucket": super::BucketRes,
            "wasi:keyvalue/atomics.cas": super::CasRes,
        },
        imports: { default: trappable },
    });
}

use bindings::wasi::keyvalue::{atomics, store};

/// An open bucket: a namespace of keys.
pub struct BucketRes {
    name: String,
}

/// A CAS handle: the key and the version it saw.
pub struct CasRes {
    bucket: String,
    key: String,
    seen: Versioned,
}

/// What the keyvalue imports need from the store's data.
pub struct KvCtx<'a> {
    pub backend: &'a dyn KvBackend,
    pub table: &'a mut ResourceTable,
    /// Prefix of every bucket this store's component opens: platforms sharing a backend
    /// keep their state apart.
    pub namespace: &'a str,
}

struct KvData;

impl HasData for KvData {
    type Data<'a> = KvCtx<'a>;
}

/// Adds both keyvalue interfaces to `linker`.
pub fn add_to_linker<T: 'static>(
    linker: &mut Linker<T>,
    view: fn(&mut T) -> KvCtx<'_>,
) -> wasmtime::Result<()> {
    store::add_to_linker::<T, KvData>(linker, view)?;
    atomics::add_to_linker::<T, KvData>(linker, view)
}

fn other(e: anyhow::Error) -> store::Error {
    store::Error::Other(super::describe(&e))
}

type KvResult<T> = wasmtime::Result<Result<T, store::Error>>;

impl KvCtx<'_> {
    fn bucket(&self, bucket: &Resource<BucketRes>) -> wasmtime::Result<String> {
        Ok(self.table.get(bucket)?.name.clone())
    }
}

impl store::Host for KvCtx<'_> {
    fn open(&mut self, identifier: String) -> KvResult<Resource<BucketRes>> {
        if identifier.is_empty() {
            return Ok(Err(store::Error::NoSuchStore));
        }
        Ok(Ok(self.table.push(BucketRes { name: format!("{}/{identifier}", self.namespace) })?))
    }
}

impl store::HostBucket for KvCtx<'_> {
    fn get(&mut self, bucket: Resource<BucketRes>, key: String) -> KvResult<Option<Vec<u8>>> {
        let b = self.bucket(&bucket)?;
        Ok(self.backend.get(&b, &key).map_err(other))
    }

    fn set(&mut self, bucket: Resource<BucketRes>, key: String, value: Vec<u8>) -> KvResult<()> {
        let b = self.bucket(&bucket)?;
        Ok(self.backend.set(&b, &key, &value).map_err(other))
    }

    fn delete(&mut self, bucket: Resource<BucketRes>, key: String) -> KvResult<()> {
        let b = self.bucket(&bucket)?;
        Ok(self.backend.delete(&b, &key).map_err(other))
    }

    fn exists(&mut self, bucket: Resource<BucketRes>, key: String) -> KvResult<bool> {
        let b = self.bucket(&bucket)?;
        Ok(self.backend.exists(&b, &key).map_err(other))
    }

    fn list_keys(
        &mut self,
        bucket: Resource<BucketRes>,
        cursor: Option<String>,
    ) -> KvResult<store::KeyResponse> {
        const PAGE: usize = 1000;
        let b = self.bucket(&bucket)?;
        Ok(self
            .backend
            .list_keys(&b, cursor.as_deref(), PAGE)
            .map(|(keys, cursor)| store::KeyResponse { keys, cursor })
            .map_err(other))
    }

    fn drop(&mut self, bucket: Resource<BucketRes>) -> wasmtime::Result<()> {
        self.table.delete(bucket)?;
        Ok(())
    }
}

impl KvCtx<'_> {
    fn take_cas(&mut self, bucket: String, key: String) -> KvResult<Resource<CasRes>> {
        match self.backend.read_versioned(&bucket, &key) {
            Ok(seen) => Ok(Ok(self.table.push(CasRes { bucket, key, seen })?)),
            Err(e) => Ok(Err(other(e))),
        }
    }
}

impl atomics::Host for KvCtx<'_> {
    fn increment(&mut self, bucket: Resource<BucketRes>, key: String, delta: i64) -> KvResult<i64> {
        let b = self.bucket(&bucket)?;
        Ok(self.backend.increment(&b, &key, delta).map_err(other))
    }

    fn swap(
        &mut self,
        cas: Resource<CasRes>,
        value: Vec<u8>,
    ) -> wasmtime::Result<Result<(), atomics::CasError>> {
        let CasRes { bucket, key, seen } = self.table.delete(cas)?;
        match self.backend.swap(&bucket, &key, seen.version, &value) {
            Ok(true) => Ok(Ok(())),
            Ok(false) => match self.take_cas(bucket, key)? {
                Ok(fresh) => Ok(Err(atomics::CasError::CasFailed(fresh))),
                Err(e) => Ok(Err(atomics::CasError::StoreError(e))),
            },
            Err(e) => Ok(Err(atomics::CasError::StoreError(other(e)))),
        }
    }
}

impl atomics::HostCas for KvCtx<'_> {
    fn new(&mut self, bucket: Resource<BucketRes>, key: String) -> KvResult<Resource<CasRes>> {
        let b = self.bucket(&bucket)?;
        self.take_cas(b, key)
    }

    fn current(&mut self, cas: Resource<CasRes>) -> KvResult<Option<Vec<u8>>> {
        Ok(Ok(self.table.get(&cas)?.seen.value.clone()))
    }

    fn drop(&mut self, cas: Resource<CasRes>) -> wasmtime::Result<()> {
        self.table.delete(cas)?;
        Ok(())
    }
}
