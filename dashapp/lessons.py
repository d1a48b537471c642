"""The words beside each step: a plain explanation, the math, and the shapes in play.

The plain text is for a 12-year-old; the math is Markdown with TeX that Dash's own
MathJax renders offline. ``shapes_text`` fills in the current sizes from a trace, so the
page says "Q: 6 × 64, split into 4 heads of 6 × 16" for what is on screen right now.
"""

from __future__ import annotations

from engine import STEPS, AttentionTrace

LESSONS = {
    "input": {
        "plain": (
            "Every token becomes a list of numbers, a **vector**, one row of the matrix **X**. "
            "A word always gets the same vector, wherever it stands. So that the model can tell "
            "*where* a word is, we add a wave pattern that is different for every position "
            "(the **positional encoding**). Turn it off and two copies of the same word look "
            "exactly alike."
        ),
        "math": (
            "$$X = E + P, \\qquad X \\in \\mathbb{R}^{T \\times d_{model}}$$\n\n"
            "$$P_{t,2i} = \\sin\\!\\left(\\frac{t}{10000^{2i/d_{model}}}\\right), \\quad "
            "P_{t,2i+1} = \\cos\\!\\left(\\frac{t}{10000^{2i/d_{model}}}\\right)$$"
        ),
    },
    "projections": {
        "plain": (
            "Each token asks a question, shows a name tag and carries a message. Three "
            "different weight matrices turn X into the **queries Q** (what am I looking for?), "
            "the **keys K** (what do I contain?) and the **values V** (what will I pass on?)."
        ),
        "math": "$$Q = X W_Q, \\qquad K = X W_K, \\qquad V = X W_V$$\n\n"
                "$$W_Q, W_K, W_V \\in \\mathbb{R}^{d_{model} \\times d_{model}}$$",
    },
    "split": {
        "plain": (
            "Instead of one big comparison, we cut Q, K and V into equal slices, one per "
            "**head**. Each head is a small team that looks at the sentence in its own way: one "
            "may follow the previous word, another the first word."
        ),
        "math": "$$Q = [\\,Q_1 \\mid Q_2 \\mid \\dots \\mid Q_h\\,]$$\n\n"
                "$$Q_i \\in \\mathbb{R}^{T \\times d_k}, \\qquad d_k = d_{model} / h$$",
    },
    "mask": {
        "plain": (
            "Every query compares itself with every key: the bigger the dot product, the better "
            "the match. A **mask** then says who may not look at whom: with a **causal** mask a "
            "word cannot peek at the words after it; with **padding**, nobody looks at the PAD "
            "filler at the end. Masked scores become $-\\infty$, grey in the pictures."
        ),
        "math": "$$S_i = \\frac{Q_i K_i^\\top}{\\sqrt{d_k}}$$\n\n"
                "$$\\tilde S_i[q,k] = \\begin{cases} S_i[q,k] & \\text{if } q \\text{ may see } k "
                "\\\\ -\\infty & \\text{if masked} \\end{cases}$$",
    },
    "attention": {
        "plain": (
            "**Softmax** turns each row of scores into shares that add up to 1: how much of its "
            "attention a token gives to each other token. Masked cells get exactly 0. Each "
            "token then collects a mix of the values, weighted by these shares. Dividing by "
            "$\\sqrt{d_k}$ keeps the scores from growing so large that one token takes everything."
        ),
        "math": "$$A_i[q,k] = \\operatorname{softmax}(\\tilde S_i)[q,k] = "
                "\\frac{e^{\\tilde S_i[q,k]}}{\\sum_{k'} e^{\\tilde S_i[q,k']}}$$\n\n"
                "$$\\operatorname{head}_i = A_i V_i$$",
    },
    "output": {
        "plain": (
            "The heads put their results side by side again (**concatenate**), and one last "
            "weight matrix mixes what the heads found into one new vector per token. The output "
            "has the same shape as the input, so the next layer can do it all again."
        ),
        "math": "$$\\operatorname{MultiHead}(X) = "
                "\\operatorname{Concat}(\\operatorname{head}_1, \\dots, \\operatorname{head}_h)\\, W_O$$\n\n"
                "$$W_O \\in \\mathbb{R}^{d_{model} \\times d_{model}}$$",
    },
}


def shapes_text(trace: AttentionTrace) -> dict[str, str]:
    """For each step id, the shapes of what it shows with the current sizes filled in."""
    T, C = trace.x.shape
    nh, hs = trace.n_heads, trace.head_dim
    pad = trace.config.n_pad if trace.config is not None and "padding" in trace.config.mask else 0
    kind = trace.config.mask if trace.config is not None else "custom"
    open_cells = int(trace.mask.sum())
    return {
        "input": f"X: {T} × {C} ({T} tokens, d_model {C})"
                 + (" = token embeddings + positions" if trace.positional is not None else
                    ", positional encoding off"),
        "projections": f"Q, K, V: {T} × {C} each; W_Q, W_K, W_V: {C} × {C}",
        "split": f"Q: {T} × {C}, split into {nh} heads of {T} × {hs}",
        "mask": f"scores: {nh} heads of {T} × {T}; mask {kind}"
                + (f" with {pad} PAD keys" if pad else "")
                + f": {open_cells} of {T * T} cells open",
        "attention": f"weights: {nh} heads of {T} × {T}, every row sums to 1; "
                     f"head outputs: {nh} × {T} × {hs}"
                     + ("" if trace.scale else "; scaling by √d_k is off"),
        "output": f"concat: {T} × {C}; output = concat × W_O: {T} × {C}",
    }


def step_texts() -> list[dict]:
    """The static texts of the six steps, in order, for the page's text store."""
    return [dict(number=s.number, id=s.id, title=s.title, **LESSONS[s.id]) for s in STEPS]
