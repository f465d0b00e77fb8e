"""Which places an item is about: title, dateline, location phrases, repeated references; not passing mentions."""
from classifiers.places import PlaceTagger
from classifiers.salience import tag_item

TAGGER = PlaceTagger.default()


def test_title_and_dateline_places_count():
    tags = tag_item(TAGGER, "Warga Katingan tolak tambang", "KASONGAN (ANTARA) - Ratusan warga berunjuk rasa.")
    assert tags.kabupaten == ("62.06",) and tags.kalteng


def test_dateline_without_title():
    tags = tag_item(TAGGER, "Warga tuntut plasma", "SAMPIT (ANTARA) - Ratusan warga memblokade jalan kebun.")
    assert tags.kabupaten == ("62.02",)


def test_a_single_passing_mention_is_kept_in_places_but_not_as_the_items_place():
    text = ("Ribuan mahasiswa berunjuk rasa di Jakarta menolak revisi undang-undang. Salah satu peserta, "
            "mahasiswa asal Sampit, mengaku datang sejak pagi.")
    tags = tag_item(TAGGER, "Demo mahasiswa di Jakarta", text)
    assert tags.kabupaten == () and tags.kalteng is False
    assert [p.code for p in tags.places] == ["62.02"]


def test_destination_mentions_do_not_count_even_when_repeated_as_one_reference():
    # real corpus item c08930 (Kobar airport): the flight's destination, "Sampit", is passing
    text = ("Bandara Iskandar, Pangkalan Bun, Kabupaten Kotawaringin Barat (Kobar), Kalimantan Tengah, juga diselimuti "
            "asap. Pesawat dari Bandara Iskandar Pangkalan Bun menuju Sampit Kotawaringin Timur dibatalkan.")
    tags = tag_item(TAGGER, "Bandara Iskandar Diselimuti Kabut Asap", text)
    assert tags.kabupaten == ("62.01",)


def test_a_location_phrase_counts_once():
    text = "Kualitas udara memburuk. Indeks Standar Pencemar Udara di Palangkaraya mencapai level berbahaya."
    assert tag_item(TAGGER, "Kualitas udara berbahaya", text).kabupaten == ("62.71",)


def test_a_province_in_a_list_is_not_the_place_of_events():
    text = "Titik panas terdeteksi di Riau, Jambi, Sumatera Selatan dan di Kalteng pada Senin."
    assert tag_item(TAGGER, "Titik panas bertambah", text).kalteng is False


def test_two_separate_references_make_a_unit_salient():
    text = ("Pemerintah pusat membahas karhutla. Di lapangan, petugas Palangka Raya bekerja keras. "
            "Wali Kota Palangka Raya meminta bantuan helikopter.")
    assert tag_item(TAGGER, "Rapat karhutla nasional", text).kabupaten == ("62.71",)


def test_residents_of_a_place_make_it_the_place_of_events():
    # real corpus item c04513: haze in Palangkaraya, named once as "warga Palangkaraya"
    text = "Kebakaran hutan membuat sebagian besar warga Palangkaraya terpaksa menghirup asap pekat."
    assert tag_item(TAGGER, "Curhat warga Kalimantan diserang asap", text).kabupaten == ("62.71",)
