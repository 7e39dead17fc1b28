"""Data stage: fetch one raw file and verify its checksum (a mismatch deletes it and fails the job)."""

from pathlib import Path

from bnconvex.data.fetch import fetch_url
from bnconvex.workflow import setup_log

log = setup_log(snakemake.log[0])
p = snakemake.params
if not p.known_hash:
    raise ValueError(f"no official checksum is published for {snakemake.wildcards.source!r}: pin it in the "
                     f"config as sources.{snakemake.wildcards.source}.known_hash")
path = fetch_url(p.url, p.known_hash, Path(snakemake.output[0]))
log.info("fetched %s from %s, verified %s", path, p.url, p.known_hash)
