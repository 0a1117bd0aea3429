from checkout.bookings.reference import ALPHABET, looks_like_reference, new_reference


def test_reference_format_and_alphabet_without_look_alikes():
    for _ in range(500):
        ref = new_reference()
        assert ref.startswith("FLY2A-") and len(ref) == 12
        assert set(ref[6:]) <= set(ALPHABET)
        assert looks_like_reference(ref)
    assert not set("01IO") & set(ALPHABET)


def test_references_are_not_predictable():
    refs = {new_reference() for _ in range(2000)}
    assert len(refs) == 2000


def test_reference_check_rejects_look_alikes_and_other_prefixes():
    assert not looks_like_reference("FLY2A-0O1I23")
    assert not looks_like_reference("ABCDE-ABCDEF")
    assert not looks_like_reference("FLY2A-ABC")
