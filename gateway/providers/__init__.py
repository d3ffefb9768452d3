"""
Provider adapters, one package per provider. Each owns its wire format: parsing (and
authenticating) the provider's callbacks into gateway.core types, its `Sender`, and a
protocol-faithful fake for tests and the demo; its provider.py exports one `Provider`
(gateway.providers.provider), registered by name in gateway.providers.registry. No provider
name or field leaves its package.
"""
