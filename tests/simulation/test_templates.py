"""Templates: assemblies, potentials in volts, masses, centring, footprints, shipped set."""

from __future__ import annotations

import gemmi
import numpy as np
import pytest
from scipy import ndimage

from evaluation.classes import CLASSES
from simulation import load_template
from simulation.atomic import (
    VOLTS_PER_DENSITY,
    add_united_hydrogens,
    atomic_potential,
    model_mass,
    read_assembly,
)
from simulation.solvent import water_potential
from simulation.templates import (
    PDB_DIR,
    build_templates,
    footprint,
    interior_potential,
    template_path,
)

ATOMIC = sorted(path.name.split(".")[0] for path in PDB_DIR.glob("*.pdb.gz"))

# chains in the first REMARK 350 assembly: deposited chains x BIOMT operators
EXPECTED_CHAINS = {
    "1bxn": 16,  # RuBisCO L8S8: 8 chains x 2
    "1qvr": 6,  # ClpB hexamer: 3 x 2
    "1s3x": 1,
    "1u6g": 3,
    "2cg9": 4,
    "3cf3": 6,  # p97 hexamer: 3 x 2
    "3d2f": 2,  # first of two dimers in the asymmetric unit
    "3gl1": 1,  # first of two monomers
    "3h84": 4,  # 2 x 2
    "3qm1": 2,  # 1 x 2
}


def _model(class_name: str) -> gemmi.Model:
    model = read_assembly(PDB_DIR / f"{class_name}.pdb.gz")
    add_united_hydrogens(model)
    return model


def test_the_ten_atomic_classes_are_bundled() -> None:
    assert sorted(EXPECTED_CHAINS) == ATOMIC


@pytest.mark.parametrize("class_name", ATOMIC)
def test_assembly_has_the_expected_chains(class_name: str) -> None:
    assert len(read_assembly(PDB_DIR / f"{class_name}.pdb.gz")) == EXPECTED_CHAINS[class_name]


def test_a_single_carbon_integrates_to_its_scattering_factor() -> None:
    # f_e(0) of carbon = sum of its 5 Gaussian amplitudes = 2.5088 Å; x 47.878 V·Å² -> V·Å³
    model = gemmi.Model(1)
    chain = gemmi.Chain("A")
    residue = gemmi.Residue()
    residue.name = "UNL"  # unknown residue: no hydrogens added
    atom = gemmi.Atom()
    atom.name, atom.element, atom.occ, atom.b_iso = "C", gemmi.Element("C"), 1.0, 20.0
    residue.add_atom(atom)
    chain.add_residue(residue)
    model.add_chain(chain)
    potential = atomic_potential(model, 1.0)
    expected_volt_nm3 = 2.5088 * 47.878 / 1000
    assert float(potential.sum()) == pytest.approx(expected_volt_nm3, rel=0.005)
    assert tuple(int(i) for i in np.unravel_index(potential.argmax(), potential.shape)) == (2, 2, 2)


@pytest.mark.parametrize("class_name", ["1s3x", "3qm1", "3gl1"])
def test_integrated_potential_is_the_sum_of_atomic_scattering(class_name: str) -> None:
    model = _model(class_name)
    scattering = sum(
        sum(cra.atom.element.c4322.a) * cra.atom.occ for cra in model.all()
    )  # Å, hydrogens included
    expected = scattering * VOLTS_PER_DENSITY / 1000  # V·nm³
    assert float(load_template(class_name).sum(dtype=np.float64)) == pytest.approx(
        expected, rel=0.01
    )


def test_integrated_potential_scales_with_mass() -> None:
    ratios = []
    for class_name in ATOMIC:
        mass = model_mass(_model(class_name))
        ratios.append(float(load_template(class_name).sum(dtype=np.float64)) / mass)
    # about 9.7e-3 V·nm³ per dalton for proteins with their hydrogens, within 2 %
    assert max(ratios) / min(ratios) < 1.02
    assert np.mean(ratios) == pytest.approx(9.75e-3, rel=0.02)
    # RuBisCO L8S8 (about 0.52 MDa with hydrogens) against a 42 kDa monomer
    assert load_template("1bxn").sum() / load_template("1s3x").sum() == pytest.approx(
        model_mass(_model("1bxn")) / model_mass(_model("1s3x")), rel=0.02
    )


def test_integrated_potential_does_not_depend_on_the_voxel_size() -> None:
    model = _model("3qm1")
    coarse = atomic_potential(model, 1.0).sum(dtype=np.float64)
    fine = atomic_potential(model, 0.5).sum(dtype=np.float64) * 0.5**3
    assert fine == pytest.approx(coarse, rel=0.005)


@pytest.mark.parametrize("class_name", CLASSES)
def test_templates_are_odd_cubes_centred_on_their_centre_of_mass(class_name: str) -> None:
    template = load_template(class_name)
    assert template.ndim == 3
    assert len(set(template.shape)) == 1
    assert template.shape[0] % 2 == 1
    centre = np.array(ndimage.center_of_mass(np.clip(template, 0, None)))
    assert np.abs(centre - template.shape[0] // 2).max() < 0.6
    # the potential fades to nothing at the box faces, so rotations never clip it
    faces = np.concatenate([template[0].ravel(), template[-1].ravel(), template[:, 0].ravel()])
    assert faces.max() < 0.05 * template.max()


def test_protein_interior_potential_is_physical() -> None:
    # proteins with hydrogens: about 6-7 V inside, above water's 4.6 V
    interiors = [interior_potential(load_template(name)) for name in ATOMIC]
    assert min(interiors) > 5.5
    assert max(interiors) < 7.5


def test_mask_classes_are_scaled_to_the_atomic_interior() -> None:
    atomic_mean = np.mean([interior_potential(load_template(name)) for name in ATOMIC])
    for class_name in ("4b4t", "4d8q"):
        assert interior_potential(load_template(class_name)) == pytest.approx(atomic_mean, rel=0.1)


def test_water_potential_from_scattering_factors() -> None:
    # (f_O + 2 f_H) = 1.9834 + 2 x 0.5288 Å; 0.94 g/cm³ = 0.031423 molecules/Å³
    expected = (1.9834 + 2 * 0.5288) * 47.878 * 0.94 / 18.015 * 0.602214076
    assert water_potential(0.94) == pytest.approx(expected, rel=1e-4)
    assert water_potential(0.94) == pytest.approx(4.575, abs=0.005)


def test_footprint_fills_an_enclosed_cavity() -> None:
    grid = np.indices((17, 17, 17)) - 8
    radius = np.sqrt((grid**2).sum(axis=0))
    shell = np.where((radius >= 4) & (radius <= 6), 5.0, 0.0)
    owned = footprint(shell)
    assert owned[8, 8, 8]
    assert owned.sum() == (radius <= 6).sum()


def test_hollow_4d8q_owns_its_cavity() -> None:
    template = load_template("4d8q")
    assert footprint(template).sum() > (template > 1.0).sum()


def test_shipped_templates_match_a_rebuild() -> None:
    rebuilt = build_templates(1.0)
    assert template_path(1.0).exists()
    for class_name in CLASSES:
        # gemmi's sums are not bit-reproducible between runs (differences ~1e-5 V)
        np.testing.assert_allclose(rebuilt[class_name], load_template(class_name), atol=1e-3)


def test_load_template_matches_case_insensitively_and_is_read_only() -> None:
    template = load_template("1BXN")
    assert template is load_template("1bxn")
    assert template.dtype == np.float32
    with pytest.raises(ValueError, match="read-only"):
        template[0, 0, 0] = 1.0


def test_load_template_refuses_unknown_classes_and_voxel_sizes() -> None:
    with pytest.raises(KeyError, match="unknown class 'abcd'"):
        load_template("abcd")
    with pytest.raises(ValueError, match="voxel size must be positive"):
        load_template("1bxn", 0.0)


def test_templates_at_another_voxel_size_are_built_on_demand() -> None:
    coarse = load_template("3cf3", 2.0)
    assert coarse.shape[0] < load_template("3cf3").shape[0]
    assert float(coarse.sum(dtype=np.float64)) * 8 == pytest.approx(
        float(load_template("3cf3").sum(dtype=np.float64)), rel=0.01
    )
