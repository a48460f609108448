"""An optional local language model that words the coach's turns (DXCOACH_LLM_PROVIDER).

The guided coach still decides everything — which stage, which element to ask for, which passages
stand behind the turn — and the model only words that turn from the same material. When the model
fails, the guided wording is used (``writer.py``).
"""
