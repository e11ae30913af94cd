# Types of the compiled kernels (src/wanzheng/network/_engine_core.pyx).
import numpy as np

def seed_kind(
    dist: np.ndarray,
    src: np.ndarray,
    order: np.ndarray,
    lo: int,
    hi: int,
    source_node: np.ndarray,
    source_offset_m: np.ndarray,
    cutoff_m: float,
) -> None: ...
def bucket_search(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_m: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
    seeds: np.ndarray,
    cutoff_m: float,
    delta_m: float,
    head: np.ndarray,
    e_node: np.ndarray,
    e_next: np.ndarray,
) -> bool: ...
def heap_search(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_m: np.ndarray,
    dist: np.ndarray,
    src: np.ndarray,
    seeds: np.ndarray,
    cutoff_m: float,
) -> None: ...
def pairs_within(
    indptr: np.ndarray,
    indices: np.ndarray,
    weight_m: np.ndarray,
    source_node: np.ndarray,
    source_offset_m: np.ndarray,
    lo: int,
    hi: int,
    target_slot: np.ndarray,
    cutoff_m: float,
    dist: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]: ...
