"""Text to token ids with Hugging Face's `tokenizers`, exactly as the model was trained to see it.

Two sources: a ``tokenizer.json`` (BERT WordPiece; the MiniLM file ships with truncation and
padding at 128, both turned off here), and the vocabulary and merges stored in a GGUF file
(byte-level BPE, built the way ``transformers`` builds it from the same file: no BOS added,
control tokens such as ``<|im_start|>`` kept whole). :class:`TextTokenizer` also turns ids into
readable labels (the byte-level 'Ġ' becomes a space). Nothing here hand-writes tokenization.
"""

from __future__ import annotations

from dataclasses import dataclass

from tokenizers import AddedToken, Tokenizer, decoders, models, pre_tokenizers

from engine.pretrained.trace import PretrainedError

_CONTROL = 3  # llama.cpp's token type for special tokens like <|im_start|>


@dataclass(frozen=True)
class TextTokenizer:
    """A `tokenizers.Tokenizer` plus how to show its tokens."""

    backend: Tokenizer
    byte_level: bool  # byte-level BPE: labels are decoded bytes, not the raw vocabulary entries

    def encode(self, text: str) -> tuple[list[int], list[str]]:
        """Token ids (special tokens included) and a readable label for each."""
        encoding = self.backend.encode(text)
        if not any(flag == 0 for flag in encoding.special_tokens_mask):
            raise PretrainedError("The text has no tokens to look at; type a word or two.")
        if not self.byte_level:
            return list(encoding.ids), list(encoding.tokens)
        labels = [self.backend.decode([i], skip_special_tokens=False) for i in encoding.ids]
        return list(encoding.ids), labels


def tokenizer_from_json(path: str) -> TextTokenizer:
    """The tokenizer of a Hugging Face checkpoint, without the file's truncation or padding."""
    try:
        backend = Tokenizer.from_file(path)
    except Exception as error:  # tokenizers raises a bare Exception on a malformed file
        raise PretrainedError(f"Cannot read the tokenizer {path}: {error}") from error
    backend.no_truncation()  # else long texts are cut at 128 tokens without a word
    backend.no_padding()  # else every text is padded to 128 tokens
    return TextTokenizer(backend, byte_level=False)


def tokenizer_from_gguf(tokens: list[str], merges: list[str], token_types: list[int]) -> TextTokenizer:
    """Byte-level BPE from a GGUF's ``tokenizer.ggml.*`` arrays (GPT-2 style, no BOS)."""
    alphabet = set(pre_tokenizers.ByteLevel.alphabet())
    if not all(set(token) <= alphabet for token in tokens):
        raise PretrainedError("This GGUF vocabulary is not byte-level BPE; only that kind is supported.")
    vocab = {token: index for index, token in enumerate(tokens)}
    pairs = [tuple(merge.split(" ")) for merge in merges]
    backend = Tokenizer(models.BPE(vocab=vocab, merges=pairs, fuse_unk=False))
    backend.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    backend.decoder = decoders.ByteLevel()
    control = [token for token, kind in zip(tokens, token_types) if kind == _CONTROL]
    backend.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in control])
    return TextTokenizer(backend, byte_level=True)
