"""Electrostatic potential of a biological assembly, from its atomic model.

The potential is the sum of the atoms' 5-Gaussian electron scattering factors (International
Tables, via gemmi's ``DensityCalculatorE``), sampled on a fine grid (at most 2.5 Å) and
block-averaged to the voxel size, so each voxel holds the mean potential over its volume.
Deposited models carry no hydrogens; they are added as united atoms (each heavy atom of a
residue carries its share of the residue's hydrogens), which matters for the contrast
against water.
"""

from __future__ import annotations

import math
from pathlib import Path

import gemmi
import numpy as np

# Mott-Bethe: gemmi's electron density (Å⁻², from f_e in Å) times 2πħ²/(m·e) gives volts
VOLTS_PER_DENSITY = 47.878
# finest spacing of the sampling grid, and Gaussian blur (in fine-grid spacings) that makes a
# sampled atom integrate to its scattering factor at zero angle
MAX_FINE_SPACING_A = 2.5
BLUR_IN_SPACINGS = 0.6
# empty margin around the atoms, in voxels, so rotations never clip the potential
MARGIN_VOXELS = 2


def read_assembly(pdb_path: Path, *, whole_unit: bool = False) -> gemmi.Model:
    """The first biological assembly of a wwPDB entry (REMARK 350), without waters; with
    ``whole_unit``, the deposited asymmetric unit instead.

    Raises:
        ValueError: if the file holds no atoms.
    """
    structure = gemmi.read_structure(str(pdb_path))
    structure.setup_entities()
    structure.remove_waters()
    structure.remove_hydrogens()
    structure.remove_alternative_conformations()
    if len(structure) == 0 or structure[0].count_atom_sites() == 0:
        raise ValueError(f"{pdb_path}: no atoms found")
    model = structure[0]
    if whole_unit or not structure.assemblies:
        return model
    return gemmi.make_assembly(structure.assemblies[0], model, gemmi.HowToNameCopiedChain.AddNumber)


def _hydrogens_per_residue(residue: gemmi.Residue) -> int:
    """Hydrogens a residue carries in the polymer (free-molecule count minus a water)."""
    info = gemmi.find_tabulated_residue(residue.name)
    if info is None:
        return 0
    in_polymer = info.is_amino_acid() or info.is_nucleic_acid()
    return max(0, info.hydrogen_count - (2 if in_polymer else 0))


def add_united_hydrogens(model: gemmi.Model) -> None:
    """Add to each residue phantom hydrogens at its heavy atoms, sharing its H count.

    Each heavy atom gets one H atom at its own position with occupancy n_H / n_heavy, so the
    residue's summed scattering includes its hydrogens (their position error, ~1 Å, is far
    below the voxel size).
    """
    hydrogen = gemmi.Element("H")
    for chain in model:
        for residue in chain:
            heavy_atoms = [atom for atom in residue if not atom.is_hydrogen()]
            count = _hydrogens_per_residue(residue)
            if count == 0 or not heavy_atoms:
                continue
            share = count / len(heavy_atoms)
            for atom in heavy_atoms:
                phantom = atom.clone()
                phantom.name = "H" + atom.name[:3]
                phantom.element = hydrogen
                phantom.occ = atom.occ * share
                residue.add_atom(phantom)


def model_mass(model: gemmi.Model) -> float:
    """Mass of the model in daltons, hydrogens (phantom or real) included."""
    return float(sum(cra.atom.element.weight * cra.atom.occ for cra in model.all()))


def atomic_potential(model: gemmi.Model, voxel_size_nm: float) -> np.ndarray:
    """The model's potential in volts on a cube of odd edge, centred on its centre of mass.

    Returns a float32 array indexed [z, y, x]; the centre of mass lies at the centre voxel.
    Hydrogens must already be present (see ``add_united_hydrogens``).

    Raises:
        ValueError: if voxel_size_nm is not positive or the model has no atoms.
    """
    if not voxel_size_nm > 0:
        raise ValueError(f"voxel size must be positive, got {voxel_size_nm}")
    positions = np.array([cra.atom.pos.tolist() for cra in model.all()], dtype=np.float64)
    if positions.size == 0:
        raise ValueError("the model has no atoms")
    voxel = voxel_size_nm * 10.0  # Å
    centre_of_mass = np.array(model.calculate_center_of_mass().tolist())
    radius = float(np.linalg.norm(positions - centre_of_mass, axis=1).max())
    half = math.ceil(radius / voxel) + MARGIN_VOXELS
    edge = 2 * half + 1
    subdivisions = math.ceil(voxel / MAX_FINE_SPACING_A - 1e-9)
    spacing = voxel / subdivisions
    # the fine samples of coarse voxel i average to position i*voxel + (k-1)*spacing/2
    target = half * voxel + (subdivisions - 1) * spacing / 2
    shift = gemmi.Position(*(target - centre_of_mass))
    shifted = model.clone()
    for cra in shifted.all():
        cra.atom.pos = cra.atom.pos + shift
    box = gemmi.Structure()
    box.cell = gemmi.UnitCell(edge * voxel, edge * voxel, edge * voxel, 90, 90, 90)
    box.spacegroup_hm = "P 1"
    calculator = gemmi.DensityCalculatorE()
    calculator.d_min = 2 * spacing
    calculator.blur = 8 * math.pi**2 * (BLUR_IN_SPACINGS * spacing) ** 2
    calculator.set_grid_cell_and_spacegroup(box)
    fine_edge = edge * subdivisions
    calculator.grid.set_size(fine_edge, fine_edge, fine_edge)
    calculator.add_model_density_to_grid(shifted)
    fine = np.array(calculator.grid, copy=False).transpose(2, 1, 0)  # gemmi is [x, y, z]
    blocks = fine.reshape(edge, subdivisions, edge, subdivisions, edge, subdivisions)
    potential = blocks.mean(axis=(1, 3, 5)) * VOLTS_PER_DENSITY
    return np.ascontiguousarray(potential, dtype=np.float32)
