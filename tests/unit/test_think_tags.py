from gemgate.gemini.think_tags import strip_leading_block, tags


def test_tags():
    assert tags("think") == ("<think>", "</think>") and tags("thinking") == ("<thinking>", "</thinking>")


def test_only_a_leading_block_of_either_name_is_dropped():
    assert strip_leading_block("<think>a\nb</think>\n\nanswer") == "answer"
    assert strip_leading_block("  <thinking>x</thinking>answer <think>y</think>") == "answer <think>y</think>"
    assert strip_leading_block("answer <think>kept</think>") == "answer <think>kept</think>"
    assert strip_leading_block("<think>unclosed answer") == "<think>unclosed answer"
    assert strip_leading_block("<think>mismatch</thinking>x") == "<think>mismatch</thinking>x"
    assert strip_leading_block("plain") == "plain"
