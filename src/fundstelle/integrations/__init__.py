"""Fundstelle inside other frameworks; each module needs its framework's extra.

- :mod:`fundstelle.integrations.langchain`: ``FundstelleRetriever``, a LangChain retriever
  (``pip install 'fundstelle[langchain]'``).

The HTTP service, for code in other languages, is :mod:`fundstelle.server`.
"""

__all__: list[str] = []
