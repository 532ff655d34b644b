import { Module } from '@nestjs/common';
import { IdentityModule } from '@app/identity';
import { InventoryModule } from '@app/inventory';
import { ListingsService } from './listings.service.js';
import { ListingSearch } from './search/listing-search.service.js';

@Module({
  imports: [IdentityModule, InventoryModule],
  providers: [ListingsService, ListingSearch],
  exports: [ListingsService, ListingSearch],
})
export class ListingsModule {}
