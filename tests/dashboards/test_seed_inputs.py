"""The dashboard reads the seeds through the pipeline's parsers (pipelines.inputs), not parsers of its own."""

from dashboards import charts
from dashboards.views import paper_explorer
from pipelines import inputs


def test_topics_come_from_the_pipelines_taxonomy_in_seed_order() -> None:
    taxonomy = inputs.taxonomy()
    table = charts.topic_table()
    assert table["id"].to_list() == charts.topic_ids() == taxonomy.topic_ids
    assert table["definition"].to_list() == [t.definition for t in taxonomy.topics]
    first = taxonomy.topics[0]
    assert charts.topic_name(first.id) == first.name
    assert charts.topic_name("not_a_topic") == "Not a topic" and charts.topic_name(None) == "No topic"


def test_explorer_categories_come_from_the_query_config() -> None:
    config = inputs.query_config()
    assert paper_explorer.seed_categories() == [*config.search_categories, *config.ai_categories]
