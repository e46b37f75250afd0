import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiTags,
} from '@nestjs/swagger';
import { CurrentUser, Roles, type AuthClaims } from '@sp/auth';
import { ValidationProblem } from '@sp/platform';
import {
  CompleteOfferDto,
  DeclineOfferDto,
  ListOffersQuery,
  MakeOfferDto,
  OfferPage,
  OfferView,
} from './offer.dto';
import { OfferService } from './offer.service';

const offerId = new ParseUUIDPipe({
  exceptionFactory: () => new ValidationProblem([{ field: 'id', message: 'id must be a UUID' }]),
});

/** `/api/v1/offers`: a place reserved at a VCSO service for a referral, and the VCSO's answer. */
@ApiTags('offers')
@ApiBearerAuth()
@Controller('offers')
export class OfferController {
  constructor(private readonly offers: OfferService) {}

  @Post()
  @Roles('link_worker', 'pcn_ops', 'admin')
  @ApiCreatedResponse({ type: OfferView })
  @ApiNotFoundResponse({
    description: 'The referral or service is unknown, or the referral is outside your PCN.',
  })
  @ApiConflictResponse({ description: 'No place left, no consent to share, or an offer already open.' })
  make(@CurrentUser() user: AuthClaims, @Body() body: MakeOfferDto): Promise<OfferView> {
    return this.offers.make(user, body);
  }

  @Get()
  @Roles('vcso_coordinator', 'link_worker', 'pcn_ops', 'admin')
  @ApiOkResponse({ type: OfferPage })
  list(@CurrentUser() user: AuthClaims, @Query() query: ListOffersQuery): Promise<OfferPage> {
    return this.offers.list(user, query);
  }

  @Post(':id/accept')
  @HttpCode(200)
  @Roles('vcso_coordinator', 'admin')
  @ApiOkResponse({ type: OfferView })
  accept(@CurrentUser() user: AuthClaims, @Param('id', offerId) id: string): Promise<OfferView> {
    return this.offers.accept(user, id);
  }

  @Post(':id/decline')
  @HttpCode(200)
  @Roles('vcso_coordinator', 'admin')
  @ApiOkResponse({ type: OfferView })
  decline(
    @CurrentUser() user: AuthClaims,
    @Param('id', offerId) id: string,
    @Body() body: DeclineOfferDto,
  ): Promise<OfferView> {
    return this.offers.decline(user, id, body);
  }

  @Post(':id/complete')
  @HttpCode(200)
  @Roles('vcso_coordinator', 'admin')
  @ApiOkResponse({ type: OfferView })
  complete(
    @CurrentUser() user: AuthClaims,
    @Param('id', offerId) id: string,
    @Body() body: CompleteOfferDto,
  ): Promise<OfferView> {
    return this.offers.complete(user, id, body);
  }
}
